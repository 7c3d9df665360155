import { randomBytes } from "node:crypto";
import { execFileAsync } from "../../support/processes.ts";

/**
 * A network namespace of the test's own, for everything that gathers ICE candidates on every interface it
 * sees (Chromium, livekit-server, coturn): inside it there is loopback and a veth pair whose both ends stay
 * inside, so no packet can leave the machine. Chromium cannot establish a peer connection in a namespace with
 * loopback alone; the veth pair is what makes it work.
 */
export interface NetworkNamespace {
  name: string;
  /** The argv prefix that runs a command inside the namespace. */
  prefix(command: string, args: string[]): [string, string[]];
  remove(): Promise<void>;
}

async function ip(args: string[]): Promise<void> {
  try {
    await execFileAsync("ip", args);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? "";
    throw new Error(`ip ${args.join(" ")} failed: ${stderr.trim() || String(error)}`);
  }
}

export async function createNetworkNamespace(): Promise<NetworkNamespace> {
  const name = `gomeet-web-${randomBytes(4).toString("hex")}`;
  await ip(["netns", "add", name]);
  const remove = async () => {
    await ip(["netns", "delete", name]).catch(() => undefined);
  };
  try {
    await ip(["-n", name, "link", "set", "lo", "up"]);
    await ip(["-n", name, "link", "add", "gmw0", "type", "veth", "peer", "name", "gmw1"]);
    await ip(["-n", name, "addr", "add", "10.213.0.1/30", "dev", "gmw0"]);
    await ip(["-n", name, "addr", "add", "10.213.0.2/30", "dev", "gmw1"]);
    await ip(["-n", name, "link", "set", "gmw0", "up"]);
    await ip(["-n", name, "link", "set", "gmw1", "up"]);
  } catch (error) {
    await remove();
    throw error;
  }
  return {
    name,
    prefix: (command, args) => ["ip", ["netns", "exec", name, command, ...args]],
    remove,
  };
}
