import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, startControlPlane } from "../support/control-plane.ts";
import { execFileAsync } from "../support/processes.ts";
import { KubeClient } from "./kube-client.ts";

describe("the test control plane", () => {
  let plane: ControlPlane;
  let client: KubeClient;

  beforeAll(async () => {
    plane = await startControlPlane({ serviceClusterIpRange: "10.101.0.0/19" });
    client = new KubeClient(plane);
  }, 180_000);

  afterAll(async () => {
    await plane?.stop();
  }, 60_000);

  it("runs in a network namespace that holds only loopback", async () => {
    const links = await plane.inNamespace(["ip", "-o", "link", "show"]);
    expect(
      links
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split(":")[1]?.trim()),
    ).toEqual(["lo"]);
    const routes = await plane.inNamespace(["ip", "-4", "route", "show", "table", "all"]);
    expect(routes).not.toMatch(/default/);
  });

  it("serves the built Kubernetes version with the stack's Service range", async () => {
    expect(plane.version).toMatch(/^v1\.\d+\.\d+$/);
    const service = (await client.get("/api/v1/namespaces/default/services/kubernetes")) as {
      spec: { clusterIP: string };
    };
    expect(service.spec.clusterIP).toBe("10.101.0.1");
    expect((await plane.kubectl(["get", "namespace", "default", "-o", "name"])).trim()).toBe(
      "namespace/default",
    );
  });

  it("enforces LimitRanges, quotas and Pod Security with the API server's own messages", async () => {
    const ns = "admission-check";
    expect(
      await client.create({
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: ns, labels: { "pod-security.kubernetes.io/enforce": "restricted" } },
      }),
    ).toBeUndefined();
    expect(
      await client.create({
        apiVersion: "v1",
        kind: "LimitRange",
        metadata: { name: "limits", namespace: ns },
        spec: { limits: [{ type: "Container", max: { cpu: "250m" } }] },
      }),
    ).toBeUndefined();
    const pod = (cpu: string, securityContext: Record<string, unknown>) => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: `p-${cpu}`, namespace: ns },
      spec: {
        containers: [{ name: "c", image: "busybox", resources: { limits: { cpu } }, securityContext }],
      },
    });
    const restricted = {
      allowPrivilegeEscalation: false,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    };
    expect((await client.create(pod("500m", restricted)))?.message).toMatch(
      /maximum cpu usage per Container is 250m, but limit is 500m/,
    );
    expect((await client.create(pod("200m", {})))?.message).toMatch(/violates PodSecurity "restricted:/);
    expect(await client.create(pod("100m", restricted))).toBeUndefined();
    expect((await client.create(pod("100m", restricted)))?.reason).toBe("AlreadyExists");
  });

  it("refuses a custom resource whose CRD does not exist, as the provider's REST mapping does", async () => {
    const refusal = await client.create({
      apiVersion: "monitoring.coreos.com/v1",
      kind: "ServiceMonitor",
      metadata: { name: "m", namespace: "default" },
    });
    expect(refusal?.message).toBe(
      'no matches for kind "ServiceMonitor" in version "monitoring.coreos.com/v1"',
    );
  });

  it("stops every process and removes its files", async () => {
    const other = await startControlPlane();
    const dir = dirname(other.socketPath);
    const pids = (await execFileAsync("pgrep", ["-f", dir])).stdout.trim().split("\n");
    expect(pids.length).toBeGreaterThanOrEqual(5);
    await other.stop();
    expect(existsSync(dir)).toBe(false);
    await expect(execFileAsync("pgrep", ["-f", dir])).rejects.toMatchObject({ code: 1 });
  }, 180_000);
});
