import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeTurnServer } from "../../apps/turn-prober/src/allocation-probe.ts";
import { mintTurnRestCredential } from "../../apps/turn-prober/src/rest-credential.ts";
import {
  execFileAsync,
  findExecutable,
  freePort,
  spawnServer,
  stopProcess,
  waitFor,
} from "../support/processes.ts";
import { type RunningCoturn, startCoturn } from "./support/coturn.ts";
import { turnServerInput } from "./support/stack-inputs.ts";

/**
 * coturn started from the rendered production turnserver.conf (loopback addresses and ports substituted,
 * loopback peers allowed so turnutils_uclient's two local clients can reach each other's relays).
 */
let coturn: RunningCoturn;
const uclient = findExecutable("turnutils_uclient", ["/usr/bin"]);

beforeAll(async () => {
  coturn = await startCoturn(turnServerInput("production"), { allowLoopbackPeers: true, withTls: true });
});

afterAll(async () => {
  await coturn?.stop();
});

/** `-y` (client-to-client, turnutils_uclient(1)) so loss is measured. */
async function allocateWithUclient(
  username: string,
  password: string,
): Promise<{ rc: number; output: string }> {
  if (!uclient) throw new Error("turnutils_uclient not found: apt-get install coturn");
  const args = [
    "-y",
    "-c",
    "-n",
    "1",
    "-m",
    "1",
    "-L",
    "127.0.0.1",
    "-p",
    String(coturn.port),
    "-u",
    username,
    "-w",
    password,
    "127.0.0.1",
  ];
  try {
    const { stdout, stderr } = await execFileAsync(uclient, args, { timeout: 30_000 });
    return { rc: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return {
      rc: typeof failed.code === "number" ? failed.code : -1,
      output: `${failed.stdout ?? ""}${failed.stderr ?? ""}`,
    };
  }
}

describe("coturn with the rendered turnserver.conf", () => {
  it("allocates for a credential minted the way LiveKit mints it, and relays without loss", async () => {
    const credential = mintTurnRestCredential(coturn.secret, "PA_livekitParticipant", 14_400);
    const result = await allocateWithUclient(credential.username, credential.password);
    expect(result.rc, result.output).toBe(0);
    expect(result.output).toContain("Total lost packets 0");
  });

  it("refuses a credential signed with the wrong secret", async () => {
    const credential = mintTurnRestCredential("not-the-shared-secret-at-all", "intruder", 3_600);
    const result = await allocateWithUclient(credential.username, credential.password);
    expect(result.rc).not.toBe(0);
    expect(result.output).toContain("Cannot complete Allocation");
  });

  it("refuses an expired credential", async () => {
    const credential = mintTurnRestCredential(coturn.secret, "late", -60);
    const result = await allocateWithUclient(credential.username, credential.password);
    expect(result.rc).not.toBe(0);
    expect(result.output).toContain("Cannot complete Allocation");
  });

  it("the prober's codec completes Allocate + Refresh(0) and reports the relayed address", async () => {
    const result = await probeTurnServer(
      { host: "127.0.0.1", port: coturn.port },
      mintTurnRestCredential(coturn.secret, "prober", 60),
    );
    expect(result.outcome, result.detail).toBe("ok");
    expect(result.relayedAddress?.address).toBe("127.0.0.1");
    expect(result.relayedAddress?.port).toBeGreaterThanOrEqual(coturn.relayRange.start);
    expect(result.relayedAddress?.port).toBeLessThanOrEqual(coturn.relayRange.end);
  });

  it("the prober classifies a bad secret as auth_failed and a silent port as timeout", async () => {
    const bad = await probeTurnServer(
      { host: "127.0.0.1", port: coturn.port },
      mintTurnRestCredential("not-the-shared-secret-at-all", "prober", 60),
    );
    expect(bad.outcome).toBe("auth_failed");
    const silent = await probeTurnServer(
      { host: "127.0.0.1", port: await freePort() },
      mintTurnRestCredential(coturn.secret, "prober", 60),
      800,
    );
    expect(["timeout", "error"]).toContain(silent.outcome);
  });
});

describe("the turn-prober program against the same coturn", () => {
  async function runProber(secret: string): Promise<string> {
    const port = await freePort();
    const tsx = resolve(import.meta.dirname, "../../node_modules/.bin/tsx");
    const prober = spawnServer(tsx, [resolve(import.meta.dirname, "../../apps/turn-prober/src/server.ts")], {
      env: {
        ...process.env,
        TURN_PROBE_TARGETS: `127.0.0.1:${coturn.port}`,
        TURN_STATIC_AUTH_SECRET: secret,
        TURN_PROBE_INTERVAL_SECONDS: "1",
        METRICS_HOST: "127.0.0.1",
        METRICS_PORT: String(port),
      },
    });
    try {
      let body = "";
      await waitFor(
        "two probe rounds in /metrics",
        async () => {
          if (prober.child.exitCode !== null) throw new Error(`prober exited:\n${prober.output()}`);
          body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
          return /gomeet_turn_probe_duration_seconds_count\{server="[^"]+"\} [2-9]/.test(body);
        },
        20_000,
      );
      return body;
    } finally {
      await stopProcess(prober.child);
    }
  }

  it("exports success for the shared secret", async () => {
    const server = `127.0.0.1:${coturn.port}`;
    const body = await runProber(coturn.secret);
    expect(body).toContain(`gomeet_turn_probe_success{server="${server}"} 1`);
    expect(body).toMatch(new RegExp(`gomeet_turn_probe_total\\{server="${server}",outcome="ok"\\} [2-9]`));
    expect(body).not.toContain('outcome="auth_failed"');
  });

  it("exports auth failures for a wrong secret", async () => {
    const server = `127.0.0.1:${coturn.port}`;
    const body = await runProber("a-wrong-secret-for-this-server");
    expect(body).toContain(`gomeet_turn_probe_success{server="${server}"} 0`);
    expect(body).toMatch(
      new RegExp(`gomeet_turn_probe_total\\{server="${server}",outcome="auth_failed"\\} [2-9]`),
    );
  });
});
