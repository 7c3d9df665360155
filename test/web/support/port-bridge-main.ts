import { tcpToUnix, unixToTcp } from "./port-bridge.ts";

// The namespace side of the port bridge (port-bridge.ts), started inside the namespace with `ip netns exec`.
for (const spec of process.argv.slice(2)) {
  const [kind, a, b] = spec.split(":");
  if (kind === "tcp-to-unix") await tcpToUnix(Number(a), String(b));
  else if (kind === "unix-to-tcp") await unixToTcp(String(a), Number(b));
  else
    throw new Error(
      `unknown bridge spec ${spec}: expected tcp-to-unix:<port>:<path> or unix-to-tcp:<path>:<port>`,
    );
}
process.stdout.write("bridge ready\n");
process.on("SIGTERM", () => process.exit(0));
