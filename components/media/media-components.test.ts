import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { dropletSize } from "../../catalogue/droplet-sizes.ts";
import { loadPlatformConfig } from "../../stacks/loader.ts";
import { execFileAsync, findExecutable } from "../../test/support/processes.ts";
import { egressScaling } from "./egress.ts";
import { MediaConfigError } from "./input-rules.ts";
import { dedicatedPodResources } from "./node-sizing.ts";
import { platformPortRangeProblems } from "./platform-ports.ts";
import { renderTurnCloudInit, TURN_CONF_PATH } from "./turn-cloud-init.ts";
import { ANCHOR_SCRIPT_PATH, withReservedIpAnchor } from "./turn-reserved-ip.ts";
import { turnCloudInitInput, turnServerConfInput } from "./turn-settings.ts";
import { renderTurnServerConf } from "./turnserver-conf.ts";

const staging = loadPlatformConfig({ environment: "staging", stack: "staging" });
const stagingTurn = {
  domain: staging.domain,
  turn: staging.turn,
  alertEmails: staging.monitoring.alertEmails,
};
const secret = "staging-turn-shared-secret-0123456789";

function userData(token: string | undefined): string {
  const conf = renderTurnServerConf(turnServerConfInput(stagingTurn, dropletSize(staging.turn.size), secret));
  const cloudInit = renderTurnCloudInit(
    turnCloudInitInput(stagingTurn, 0, "gomeet-staging-turn-1", conf, token),
  );
  return withReservedIpAnchor(cloudInit, "203.0.113.7", TURN_CONF_PATH);
}

async function cloudInitAccepts(text: string): Promise<string> {
  const cloudInit = findExecutable("cloud-init", ["/usr/bin"]);
  if (!cloudInit) throw new Error("cloud-init not found: apt-get install cloud-init");
  const file = join(mkdtempSync(join(tmpdir(), "turn-user-data-")), "user-data");
  writeFileSync(file, text);
  const { stdout } = await execFileAsync(cloudInit, ["schema", "-c", file]);
  return stdout;
}

describe("TURN droplet user-data as the fleet ships it", () => {
  for (const [mode, token] of [
    ["DNS-01", "dop_v1_staging_dns_token_0123456789abcdef"],
    ["HTTP-01", undefined],
  ] as const) {
    it(`is valid cloud-config with the reserved-IP anchor unit (${mode}), checked by cloud-init`, async () => {
      const text = userData(token);
      expect(await cloudInitAccepts(text)).toContain("Valid cloud-config");
      const doc = parse(text.slice("#cloud-config\n".length));
      const commands = (doc.runcmd as string[][]).map((c) => c.join(" "));
      // The anchor unit runs after turnserver.conf exists and before coturn starts.
      expect(commands.indexOf("systemctl enable --now gomeet-turn-anchor.service")).toBe(
        commands.indexOf("systemctl enable coturn") - 1,
      );
      const script = (doc.write_files as { path: string; content: string }[]).find(
        (f) => f.path === ANCHOR_SCRIPT_PATH,
      );
      const file = join(mkdtempSync(join(tmpdir(), "anchor-")), "anchor.sh");
      writeFileSync(file, script?.content ?? "");
      await execFileAsync("sh", ["-n", file]);
      expect(script?.content).toContain(
        'relay-ip=%s\\nexternal-ip=%s/%s\\n\' "$anchor" 203.0.113.7 "$anchor"',
      );
    });
  }

  it("refuses a shared certificate name without a DNS token", () => {
    const conf = renderTurnServerConf(
      turnServerConfInput(stagingTurn, dropletSize(staging.turn.size), secret),
    );
    const input = {
      ...turnCloudInitInput(stagingTurn, 0, "h", conf, undefined),
      certificateDomains: ["turn-1.x.app", "turn.x.app"],
    };
    expect(() => renderTurnCloudInit(input)).toThrow(
      /certificateDomains: expected exactly the droplet's own name/,
    );
  });

  it("refuses an anchor for something that is not an IPv4 address", () => {
    expect(() => withReservedIpAnchor(userData(undefined), "turn.example", TURN_CONF_PATH)).toThrow(
      MediaConfigError,
    );
  });
});

describe("platform port map", () => {
  it("is disjoint in every preset", () => {
    for (const environment of ["production", "staging", "ephemeral"]) {
      expect(platformPortRangeProblems(loadPlatformConfig({ environment, stack: environment }))).toEqual([]);
    }
  });

  it("reports LiveKit's range against NodePorts at media.rtcUdpPorts", () => {
    const config = { ...staging, media: { ...staging.media, rtcUdpPorts: { min: 32_000, max: 33_000 } } };
    expect(platformPortRangeProblems(config)).toEqual([
      {
        path: ["media", "rtcUdpPorts"],
        expected: expect.stringContaining(
          '"kubernetes.nodePorts" (tcp+udp 30000–32767) share udp 32000–32767',
        ),
      },
    ]);
  });
});

describe("sizing to the node", () => {
  it("gives a dedicated pod DOKS' allocatable memory minus the DaemonSets' share", () => {
    // c-16-intel: 32 GiB RAM → 28 GiB allocatable (docs/sources.md#doks-limits), 16 vCPU.
    expect(dedicatedPodResources(dropletSize("c-16-intel"))).toEqual({
      requests: { cpu: "15000m", memory: `${28 * 1024 - 512}Mi` },
      limits: { cpu: "15000m", memory: `${28 * 1024 - 512}Mi` },
    });
  });

  it("keeps one warm recorder and never more recorders than egress nodes", () => {
    const ephemeral = loadPlatformConfig({ environment: "ephemeral", stack: "eph-bob" });
    expect(egressScaling(ephemeral.egress, ephemeral.cluster.pools.egress)).toEqual({
      minReplicas: 1,
      maxReplicas: 1,
    });
    const wide = { minReplicas: 1, maxReplicas: 50 };
    expect(egressScaling(wide, staging.cluster.pools.egress).maxReplicas).toBe(
      staging.cluster.pools.egress.maxNodes,
    );
  });
});
