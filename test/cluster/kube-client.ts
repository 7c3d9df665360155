import type { ApiResponse, ControlPlane } from "../support/control-plane.ts";
import type { KubeObject } from "./manifests.ts";

interface ApiResource {
  plural: string;
  namespaced: boolean;
}

interface DiscoveredResource {
  name: string;
  kind: string;
  namespaced: boolean;
}

/** A refusal as the API server words it (Status.message), or the client's `no matches for kind`. */
export interface Refusal {
  status: number;
  reason: string;
  message: string;
}

/**
 * A minimal Kubernetes client over the control plane's proxy: discovery (refreshed when a kind is unknown, as
 * client-go's deferred REST mapper does after a CRD is created) and create semantics — POST, so an object that
 * already exists is refused with AlreadyExists, as the Pulumi provider's create is.
 */
export class KubeClient {
  private resources = new Map<string, ApiResource>();
  private groupVersions: string[] = [];

  constructor(readonly plane: ControlPlane) {}

  /** Re-reads discovery. Aggregated groups whose service cannot answer (no pods here) are skipped. */
  async discover(): Promise<void> {
    const resources = new Map<string, ApiResource>();
    const groupVersions: string[] = ["v1"];
    const core = await this.get("/api/v1");
    this.addResources(resources, "v1", core);
    const groups = (await this.get("/apis")) as { groups?: { versions: { groupVersion: string }[] }[] };
    for (const group of groups.groups ?? []) {
      for (const { groupVersion } of group.versions) {
        const res = await this.plane.request("GET", `/apis/${groupVersion}`);
        if (res.status !== 200) continue;
        groupVersions.push(groupVersion);
        this.addResources(resources, groupVersion, res.body);
      }
    }
    this.resources = resources;
    this.groupVersions = groupVersions;
  }

  private addResources(into: Map<string, ApiResource>, groupVersion: string, body: unknown): void {
    for (const r of (body as { resources?: DiscoveredResource[] }).resources ?? []) {
      if (r.name.includes("/")) continue;
      into.set(`${groupVersion}/${r.kind}`, { plural: r.name, namespaced: r.namespaced });
    }
  }

  /** What helm's `.Capabilities.APIVersions` holds for this cluster: `group/version` and `group/version/Kind`. */
  apiVersions(): string[] {
    return [...this.groupVersions, ...this.resources.keys()];
  }

  async get(path: string): Promise<unknown> {
    const res = await this.plane.request("GET", path);
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${describe(res)}`);
    return res.body;
  }

  /** The object's REST collection path, or undefined when the cluster serves no such kind. */
  async collectionPath(object: KubeObject, defaultNamespace: string): Promise<string | undefined> {
    const key = `${object.apiVersion}/${object.kind}`;
    if (!this.resources.has(key)) await this.discover();
    const resource = this.resources.get(key);
    if (!resource) return undefined;
    const prefix = object.apiVersion.includes("/")
      ? `/apis/${object.apiVersion}`
      : `/api/${object.apiVersion}`;
    if (!resource.namespaced) return `${prefix}/${resource.plural}`;
    const namespace = object.metadata?.namespace ?? defaultNamespace;
    return `${prefix}/namespaces/${encodeURIComponent(namespace)}/${resource.plural}`;
  }

  async isNamespaced(object: KubeObject): Promise<boolean> {
    const key = `${object.apiVersion}/${object.kind}`;
    if (!this.resources.has(key)) await this.discover();
    return this.resources.get(key)?.namespaced ?? false;
  }

  /**
   * Creates the object with strict field validation (server-side apply and helm's schema check both refuse
   * unknown fields); undefined on success, the refusal otherwise.
   */
  async create(object: KubeObject, defaultNamespace = "default"): Promise<Refusal | undefined> {
    const path = await this.collectionPath(object, defaultNamespace);
    if (!path) {
      return {
        status: 0,
        reason: "NoKindMatch",
        message: `no matches for kind "${object.kind}" in version "${object.apiVersion}"`,
      };
    }
    const namespaced = await this.isNamespaced(object);
    const body = namespaced
      ? {
          ...object,
          metadata: { ...object.metadata, namespace: object.metadata?.namespace ?? defaultNamespace },
        }
      : object;
    const res = await this.plane.request(
      "POST",
      `${path}?fieldValidation=Strict&fieldManager=gomeet-cluster-test`,
      body,
    );
    if (res.status >= 200 && res.status < 300) return undefined;
    const status = res.body as { reason?: string; message?: string };
    return {
      status: res.status,
      reason: status.reason ?? "Unknown",
      message: status.message ?? res.text.trim(),
    };
  }

  async list(path: string, query: Record<string, string> = {}): Promise<KubeObject[]> {
    const qs = new URLSearchParams(query).toString();
    const body = (await this.get(qs ? `${path}?${qs}` : path)) as { items?: KubeObject[] };
    return body.items ?? [];
  }

  async exists(path: string): Promise<boolean> {
    const res = await this.plane.request("GET", path);
    if (res.status === 404) return false;
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${describe(res)}`);
    return true;
  }
}

function describe(res: ApiResponse): string {
  const message = (res.body as { message?: string } | undefined)?.message;
  return message ?? res.text.slice(0, 300);
}
