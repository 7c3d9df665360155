import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RoomServiceClient } from "livekit-server-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { renderTurnCloudInit, TURN_CONF_PATH } from "../../components/media/turn-cloud-init.ts";
import { renderTurnServerConf } from "../../components/media/turnserver-conf.ts";
import { execFileAsync, findExecutable } from "../support/processes.ts";
import { type RunningCoturn, startCoturn } from "./support/coturn.ts";
import { iceRange, loopbackLiveKitInput, startLiveKitNode } from "./support/livekit-node.ts";
import {
  type Environment,
  liveKitInput,
  turnCloudInitInput,
  turnServerInput,
} from "./support/stack-inputs.ts";
import { startTlsRedis, type TlsRedis } from "./support/tls-redis.ts";

/** Every rendered file, for a staging-like and a production-like input, accepted by the program it is for. */
const environments: Environment[] = ["staging", "production"];
let redis: TlsRedis;
let stunServer: RunningCoturn;
const scratch = mkdtempSync(join(tmpdir(), "gomeet-rendered-"));

beforeAll(async () => {
  redis = await startTlsRedis();
  // Production nodes discover their public IP from the TURN fleet's STUN; here a loopback coturn stands in.
  stunServer = await startCoturn(turnServerInput("staging"), { allowLoopbackPeers: false, withTls: false });
});

afterAll(async () => {
  await stunServer?.stop();
  await redis?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe.each(environments)("%s", (env) => {
  it("livekit-server v1.13.5 starts with the rendered livekit.yaml (strict config) and serves the API", async () => {
    const base = liveKitInput(env);
    const input = await loopbackLiveKitInput(base, {
      redis,
      udpPortRange: iceRange(2),
      advertisedAddress: { kind: "stun", stunServers: [`127.0.0.1:${stunServer.port}`] },
    });
    const node = await startLiveKitNode(input);
    try {
      // What differs from the shipped text is only what loopbackLiveKitInput substitutes.
      expect(node.configText).toContain("use_external_ip: true");
      expect(node.configText).toMatch(/tls:\n\s+enabled: true/);
      const rooms = await new RoomServiceClient(node.url, base.apiKey, base.apiSecret).listRooms();
      expect(rooms).toEqual([]);
      expect(node.output()).toContain('"msg":"starting LiveKit server"');
      expect(node.output()).toContain("found external IP via STUN");
    } finally {
      await node.stop();
    }
  });

  it("turnserver starts with the rendered turnserver.conf and reports no configuration errors", async () => {
    const coturn = await startCoturn(turnServerInput(env), { allowLoopbackPeers: false, withTls: true });
    try {
      // coturn logs unknown or malformed lines and carries on (turnserver prints "Bad configuration format"), so the log
      // is the acceptance check, not the exit code.
      const log = readFileSync(coturn.logFile, "utf8");
      expect(log).not.toMatch(/Bad configuration format|unrecognized option|CONFIG ERROR/i);
      expect(log).toContain(`TLS/TCP listener opened on : 127.0.0.1:${coturn.tlsPort}`);
      expect(coturn.confText).toContain("denied-peer-ip=127.0.0.0-127.255.255.255");
    } finally {
      await coturn.stop();
    }
  });

  it("cloud-init accepts the TURN droplet user-data, which ships the rendered turnserver.conf unchanged", async () => {
    const cloudInit = findExecutable("cloud-init", ["/usr/bin"]);
    if (!cloudInit) throw new Error("cloud-init not found: apt-get install cloud-init");
    const turnConf = renderTurnServerConf(turnServerInput(env));
    const userData = renderTurnCloudInit(turnCloudInitInput(env, turnConf));
    const file = join(scratch, `${env}-user-data.yaml`);
    writeFileSync(file, userData, { mode: 0o600 });
    // `schema -c` exits 1 on errors; --annotate would exit 0 (cloud-init(1) `schema`).
    const { stdout } = await execFileAsync(cloudInit, ["schema", "-c", file]);
    expect(stdout).toContain("Valid cloud-config");
    const parsed = parse(userData) as {
      ssh_pwauth: boolean;
      write_files: { path: string; content: string }[];
      runcmd: string[][];
    };
    expect(parsed.write_files.find((f) => f.path === TURN_CONF_PATH)?.content).toBe(turnConf);
    // Password login is off whatever DigitalOcean set for root: cloud-init, sshd and a locked password.
    expect(parsed.ssh_pwauth).toBe(false);
    const sshd = parsed.write_files.find((f) => f.path.startsWith("/etc/ssh/sshd_config.d/"))?.content ?? "";
    expect(sshd).toMatch(/^PasswordAuthentication no$/m);
    expect(sshd).toMatch(/^PermitRootLogin prohibit-password$/m);
    expect(parsed.runcmd).toContainEqual(["passwd", "--lock", "root"]);
    expect(parsed.runcmd).toContainEqual(
      env === "production" ? ["systemctl", "reload", "ssh"] : ["systemctl", "disable", "--now", "ssh"],
    );
  });
});

describe("cloud-init schema check is a real gate", () => {
  it("rejects user-data whose write_files entry lost its path", async () => {
    const cloudInit = findExecutable("cloud-init", ["/usr/bin"]);
    if (!cloudInit) throw new Error("cloud-init not found: apt-get install cloud-init");
    const userData = renderTurnCloudInit(
      turnCloudInitInput("staging", renderTurnServerConf(turnServerInput("staging"))),
    ).replace("  - path: /etc/default/coturn\n", "  - owner: root:root\n");
    const file = join(scratch, "broken-user-data.yaml");
    writeFileSync(file, userData);
    await expect(execFileAsync(cloudInit, ["schema", "-c", file])).rejects.toMatchObject({ code: 1 });
  });
});
