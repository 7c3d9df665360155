import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { parseDocument } from "yaml";

/**
 * Lets a GitHub-hosted runner reach a DOKS control plane for one deploy run. The cluster's control-plane
 * firewall admits only the stack's allow-list (stacks/security-rules.ts), and GitHub's runners have no fixed
 * address, so:
 *
 *   admit   — reads the runner's public address, adds `<ip>/32` to the cluster's firewall through the
 *             DigitalOcean API (PUT /v2/kubernetes/clusters/{id} with control_plane_firewall), adds the same
 *             CIDR to `gomeet:overrides.cluster.controlPlaneAllowList` in the checkout's Pulumi.<stack>.yaml (so
 *             `pulumi up` declares what the API now holds and does not remove it mid-run), and waits until the
 *             API server answers;
 *   release — removes the CIDR from the cluster's firewall again (run with `if: always()`).
 *
 * The checkout's stack file is never committed; the next run's refresh sees the firewall back at the list in
 * the repository. Usage: `npx tsx .github/deploy/control-plane-access.ts admit|release --stack <name>
 * --cluster-id <id> [--cidr <ip>/32]` with DIGITALOCEAN_TOKEN set.
 */

const API = process.env.DIGITALOCEAN_API_URL ?? "https://api.digitalocean.com";
const ADDRESS_ECHO = process.env.RUNNER_ADDRESS_URL ?? "https://api.ipify.org";
const READY_SECONDS = Number(process.env.CONTROL_PLANE_READY_SECONDS ?? 180);

interface ClusterFirewall {
  name: string;
  endpoint: string;
  enabled: boolean;
  allowed: string[];
}

class AccessError extends Error {}

function token(): string {
  const value = process.env.DIGITALOCEAN_TOKEN;
  if (!value) throw new AccessError("DIGITALOCEAN_TOKEN: expected a DigitalOcean API token, got nothing");
  return value;
}

async function api(method: "GET" | "PUT", path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${API}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token()}`, "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) {
    // The API's error body names the problem ({"id": …, "message": …}); it never carries the token.
    throw new AccessError(
      `${method} ${path}: DigitalOcean answered ${response.status}: ${text.slice(0, 300)}`,
    );
  }
  return JSON.parse(text) as Record<string, unknown>;
}

async function readFirewall(clusterId: string): Promise<ClusterFirewall> {
  const { kubernetes_cluster: cluster } = (await api("GET", `/v2/kubernetes/clusters/${clusterId}`)) as {
    kubernetes_cluster?: {
      name?: string;
      endpoint?: string;
      control_plane_firewall?: { enabled?: boolean; allowed_addresses?: string[] };
    };
  };
  if (!cluster?.name)
    throw new AccessError(`cluster ${clusterId}: the API returned no kubernetes_cluster.name`);
  return {
    name: cluster.name,
    endpoint: cluster.endpoint ?? "",
    enabled: cluster.control_plane_firewall?.enabled === true,
    allowed: cluster.control_plane_firewall?.allowed_addresses ?? [],
  };
}

async function writeFirewall(clusterId: string, firewall: ClusterFirewall, allowed: string[]): Promise<void> {
  await api("PUT", `/v2/kubernetes/clusters/${clusterId}`, {
    name: firewall.name,
    control_plane_firewall: { enabled: true, allowed_addresses: allowed },
  });
}

function runnerCidr(address: string): string {
  const ip = address.trim();
  const octets = ip.split(".");
  if (octets.length !== 4 || !octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255)) {
    throw new AccessError(
      `runner address: expected an IPv4 address from ${ADDRESS_ECHO}, got "${ip.slice(0, 64)}"`,
    );
  }
  return `${ip}/32`;
}

/** Adds the CIDR to the stack file's allow-list override, keeping the file's comments and secure values. */
function addToStackFile(file: string, cidr: string): void {
  const doc = parseDocument(readFileSync(file, "utf8"));
  const path = ["config", "gomeet:overrides", "cluster", "controlPlaneAllowList"];
  const current = doc.getIn(path);
  const list = current === undefined ? [] : (JSON.parse(JSON.stringify(current)) as unknown);
  if (!Array.isArray(list)) throw new AccessError(`${file}: ${path.join(".")} is not a list`);
  if (!list.includes(cidr)) doc.setIn(path, [...list, cidr]);
  writeFileSync(file, doc.toString());
}

async function waitForApiServer(endpoint: string): Promise<void> {
  if (!endpoint) return;
  const deadline = Date.now() + READY_SECONDS * 1000;
  let last = "";
  while (Date.now() < deadline) {
    try {
      // Any HTTP answer (401 without credentials) means the firewall lets this runner through.
      await fetch(`${endpoint}/version`, { signal: AbortSignal.timeout(5000) });
      return;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((r) => setTimeout(r, 3000));
  }
  throw new AccessError(`${endpoint}: the API server did not answer within ${READY_SECONDS} s (${last})`);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { stack: { type: "string" }, "cluster-id": { type: "string" }, cidr: { type: "string" } },
  });
  const action = positionals[0];
  const stack = values.stack;
  const clusterId = values["cluster-id"];
  if (action !== "admit" && action !== "release")
    throw new AccessError(`expected admit or release, got "${action ?? ""}"`);
  if (!stack || !/^[a-z0-9-]+$/.test(stack))
    throw new AccessError(`--stack: expected a stack name, got "${stack ?? ""}"`);
  if (!clusterId || !/^[0-9a-f-]{36}$/.test(clusterId)) {
    throw new AccessError(
      `--cluster-id: expected the cluster's UUID (pulumi stack output clusterId), got "${clusterId ?? ""}"`,
    );
  }
  const cidr = values.cidr ?? runnerCidr(await (await fetch(ADDRESS_ECHO)).text());
  const firewall = await readFirewall(clusterId);

  if (action === "admit") {
    if (!firewall.allowed.includes(cidr))
      await writeFirewall(clusterId, firewall, [...firewall.allowed, cidr]);
    addToStackFile(`Pulumi.${stack}.yaml`, cidr);
    console.log(`control plane of ${firewall.name}: admitted ${cidr} for this run`);
    if (process.env.GITHUB_ENV) writeFileSync(process.env.GITHUB_ENV, `RUNNER_CIDR=${cidr}\n`, { flag: "a" });
    await waitForApiServer(firewall.endpoint);
  } else {
    if (firewall.allowed.includes(cidr)) {
      await writeFirewall(
        clusterId,
        firewall,
        firewall.allowed.filter((a) => a !== cidr),
      );
    }
    console.log(`control plane of ${firewall.name}: ${cidr} removed`);
  }
}

main().catch((error: unknown) => {
  console.error(`control-plane-access: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
