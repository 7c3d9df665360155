import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderTurnServerConf, type TurnServerConfInput } from "../../../components/media/turnserver-conf.ts";
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
 * Runs Debian's coturn with the rendered turnserver.conf. `loopbackTurnInput` lists the only fields a test
 * changes — addresses, ports, file paths and (for the loopback rig) the peer policy — so what starts is the
 * shipped configuration.
 */
export interface RunningCoturn {
  port: number;
  tlsPort: number | undefined;
  relayRange: { start: number; end: number };
  secret: string;
  realm: string;
  confText: string;
  logFile: string;
  stop(): Promise<void>;
}

async function freeUdpRange(size: number): Promise<{ start: number; end: number }> {
  // High, rarely used ports; coturn skips a busy relay port, so an exact free range is not required.
  const start = 41_000 + Math.floor(Math.random() * 8_000);
  return { start, end: start + size - 1 };
}

export async function loopbackTurnInput(
  base: TurnServerConfInput,
  dir: string,
  options: { allowLoopbackPeers: boolean; withTls: boolean },
): Promise<TurnServerConfInput> {
  const tls = options.withTls ? await makeSelfSignedCertificate(dir) : undefined;
  return {
    ...base,
    listeningIps: ["127.0.0.1"],
    relayIp: "127.0.0.1",
    externalIp: undefined,
    listeningPort: await freePort(),
    tls: tls === undefined || base.tls === undefined ? undefined : { port: await freePort(), ...tls },
    relayPortRange: await freeUdpRange(200),
    peerPolicy: options.allowLoopbackPeers ? "loopback-test" : base.peerPolicy,
    paths: {
      userdb: join(dir, "turndb"),
      pidfile: join(dir, "turnserver.pid"),
      logFile: join(dir, "turn.log"),
    },
    verbose: true,
  };
}

export async function isUdpListening(address: string): Promise<boolean> {
  const { stdout } = await execFileAsync("ss", ["-lun"]);
  return stdout.split("\n").some((line) => line.split(/\s+/).includes(address));
}

export async function isTcpListening(address: string): Promise<boolean> {
  const { stdout } = await execFileAsync("ss", ["-ltn"]);
  return stdout.split("\n").some((line) => line.split(/\s+/).includes(address));
}

export async function startCoturn(
  base: TurnServerConfInput,
  options: { allowLoopbackPeers: boolean; withTls: boolean },
): Promise<RunningCoturn> {
  const binary = findExecutable("turnserver", ["/usr/bin"]);
  if (!binary) throw new Error("turnserver not found: apt-get install coturn");
  const dir = mkdtempSync(join(tmpdir(), "gomeet-coturn-"));
  const input = await loopbackTurnInput(base, dir, options);
  const confText = renderTurnServerConf(input);
  const confFile = join(dir, "turnserver.conf");
  writeFileSync(confFile, confText, { mode: 0o600 });
  const server = spawnServer(binary, ["-c", confFile]);
  const stop = async () => {
    await stopProcess(server.child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      "turnserver to listen",
      async () => {
        if (server.child.exitCode !== null)
          throw new Error(`turnserver exited ${server.child.exitCode}:\n${server.output()}`);
        const udp = await isUdpListening(`127.0.0.1:${input.listeningPort}`);
        const tls = input.tls === undefined || (await isTcpListening(`127.0.0.1:${input.tls.port}`));
        return udp && tls;
      },
      10_000,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    port: input.listeningPort,
    tlsPort: input.tls?.port,
    relayRange: input.relayPortRange,
    secret: input.sharedSecret,
    realm: input.realm,
    confText,
    logFile: join(dir, "turn.log"),
    stop,
  };
}
