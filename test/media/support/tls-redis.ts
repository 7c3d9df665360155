import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  execFileAsync,
  findExecutable,
  freePort,
  spawnServer,
  stopProcess,
  waitFor,
} from "../../support/processes.ts";
import { makeSelfSignedCertificate } from "./self-signed.ts";

/**
 * A private redis-server speaking TLS only and requiring a password, like DigitalOcean's managed Valkey,
 * so the rendered `redis.tls` block is exercised as shipped (only address, CA file and password differ).
 * test/support/redis.ts starts plaintext servers, hence this variant.
 */
export interface TlsRedis {
  address: string;
  password: string;
  caCertFile: string;
  stop(): Promise<void>;
}

export async function startTlsRedis(): Promise<TlsRedis> {
  const binary = findExecutable("redis-server", ["/usr/bin", "/usr/local/bin"]);
  const cli = findExecutable("redis-cli", ["/usr/bin", "/usr/local/bin"]);
  if (!binary || !cli) throw new Error("redis-server/redis-cli not found: apt-get install redis-server");
  const dir = mkdtempSync(join(tmpdir(), "gomeet-tls-redis-"));
  const { certFile, keyFile } = await makeSelfSignedCertificate(dir);
  const port = await freePort();
  const password = "tls-redis-test-password";
  const server = spawnServer(binary, [
    "--port",
    "0",
    "--tls-port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--tls-cert-file",
    certFile,
    "--tls-key-file",
    keyFile,
    "--tls-ca-cert-file",
    certFile,
    "--tls-auth-clients",
    "no",
    "--requirepass",
    password,
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    dir,
  ]);
  const stop = async () => {
    await stopProcess(server.child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor("TLS redis-server to answer PING", async () => {
      if (server.child.exitCode !== null) throw new Error(`redis-server exited:\n${server.output()}`);
      const { stdout } = await execFileAsync(cli, [
        "--tls",
        "--cacert",
        certFile,
        "-h",
        "127.0.0.1",
        "-p",
        String(port),
        "--no-auth-warning",
        "-a",
        password,
        "ping",
      ]);
      return stdout.trim() === "PONG";
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { address: `127.0.0.1:${port}`, password, caCertFile: certFile, stop };
}
