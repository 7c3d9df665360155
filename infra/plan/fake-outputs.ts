import { createECDH, createHash, createPrivateKey, createPublicKey } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

/**
 * Deterministic, realistic outputs for every resource type the program declares, as a cloud provider would
 * compute them: numeric Droplet ids, IPv4 addresses from the documentation ranges (RFC 5737), database URIs
 * with the right scheme and port, a kubeconfig. Everything derives from the resource's URN, so two plans of
 * the same program are identical. A type or invoke without a model here fails loudly — a silent default would
 * let a plan look right while hiding a resource nobody modelled.
 */

type Inputs = Record<string, unknown>;
export interface FakeResource {
  id: string;
  state: Inputs;
}
type Model = (urn: string, name: string, inputs: Inputs) => FakeResource;

function digest(urn: string, salt = ""): Buffer {
  return createHash("sha256").update(`${salt}|${urn}`).digest();
}

export function fakeUuid(urn: string, salt = ""): string {
  const h = digest(urn, salt).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A Droplet-style numeric id (DigitalOcean ids are integers; ReservedIpAssignment needs a number). */
export function fakeNumericId(urn: string): string {
  return String(300_000_000 + (digest(urn, "id").readUInt32BE(0) % 200_000_000));
}

/** Public addresses come from 203.0.113.0/24 and 198.51.100.0/24 (RFC 5737 documentation ranges). */
export function fakePublicIpv4(urn: string): string {
  const b = digest(urn, "ipv4");
  const net = b[0]! % 2 === 0 ? "203.0.113" : "198.51.100";
  return `${net}.${1 + (b[1]! % 254)}`;
}

/** A host address inside the given IPv4 CIDR (for private addresses in the stack's VPC). */
export function fakeAddressIn(cidr: string, urn: string): string {
  const [base, bits] = cidr.split("/");
  const octets = (base ?? "10.0.0.0").split(".").map(Number);
  const baseInt = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
  const hostBits = 32 - Number(bits ?? 24);
  const span = hostBits >= 31 ? 2 ** 31 : 2 ** hostBits;
  const offset = 2 + (digest(urn, "private").readUInt32BE(0) % Math.max(1, span - 3));
  const addr = (baseInt + offset) >>> 0;
  return [addr >>> 24, (addr >>> 16) & 255, (addr >>> 8) & 255, addr & 255].join(".");
}

export function fakePassword(urn: string, length = 32): string {
  return digest(urn, "password").toString("base64url").slice(0, length);
}

const CREATED_AT = "2026-01-01T00:00:00Z";

function str(inputs: Inputs, key: string, fallback: string): string {
  const v = inputs[key];
  return typeof v === "string" && v.length > 0 ? v : fallback;
}

const databaseCluster: Model = (urn, name, inputs) => {
  const id = fakeUuid(urn);
  const clusterName = str(inputs, "name", name);
  const engine = str(inputs, "engine", "pg");
  const password = fakePassword(urn);
  const host = `${clusterName}-do-user-1000000-0.m.db.ondigitalocean.com`;
  const privateHost = `private-${host}`;
  const isValkey = engine === "valkey";
  const port = 25061;
  const user = isValkey ? "default" : "doadmin";
  const database = isValkey ? "" : "defaultdb";
  const uri = (h: string) =>
    isValkey
      ? `rediss://${user}:${password}@${h}:${port}`
      : `postgresql://${user}:${password}@${h}:${isValkey ? port : 25060}/${database}?sslmode=require`;
  return {
    id,
    state: {
      ...inputs,
      clusterUrn: `do:dbaas:${id}`,
      host,
      privateHost,
      port: isValkey ? port : 25060,
      user,
      database,
      password: pulumi.secret(password),
      uri: pulumi.secret(uri(host)),
      privateUri: pulumi.secret(uri(privateHost)),
      createdAt: CREATED_AT,
    },
  };
};

const models: Record<string, Model> = {
  "digitalocean:index/vpc:Vpc": (urn, _n, inputs) => {
    const id = fakeUuid(urn);
    return { id, state: { ...inputs, vpcUrn: `do:vpc:${id}`, default: false, createdAt: CREATED_AT } };
  },
  "digitalocean:index/project:Project": (urn, _n, inputs) => ({
    id: fakeUuid(urn),
    state: { ...inputs, ownerUuid: fakeUuid("owner"), ownerId: 1000000, createdAt: CREATED_AT },
  }),
  "digitalocean:index/projectResources:ProjectResources": (urn, _n, inputs) => ({
    id: fakeUuid(urn),
    state: inputs,
  }),
  "digitalocean:index/kubernetesCluster:KubernetesCluster": (urn, name, inputs) => {
    const id = fakeUuid(urn);
    const endpoint = `https://${id}.k8s.ondigitalocean.com`;
    const ca = Buffer.from(`fake-ca-for-${id}`).toString("base64");
    const token = `dop_v1_${digest(urn, "token").toString("hex")}`;
    const clusterName = str(inputs, "name", name);
    const rawConfig = [
      "apiVersion: v1",
      "kind: Config",
      `clusters:\n- cluster:\n    certificate-authority-data: ${ca}\n    server: ${endpoint}\n  name: do-sgp1-${clusterName}`,
      `contexts:\n- context:\n    cluster: do-sgp1-${clusterName}\n    user: do-sgp1-${clusterName}-admin\n  name: do-sgp1-${clusterName}`,
      `current-context: do-sgp1-${clusterName}`,
      `users:\n- name: do-sgp1-${clusterName}-admin\n  user:\n    token: ${token}`,
      "",
    ].join("\n");
    const pool = (inputs.nodePool ?? {}) as Inputs;
    return {
      id,
      state: {
        ...inputs,
        clusterUrn: `do:kubernetes:${id}`,
        endpoint,
        ipv4Address: fakePublicIpv4(urn),
        status: "running",
        createdAt: CREATED_AT,
        nodePool: {
          ...pool,
          id: fakeUuid(urn, "pool"),
          actualNodeCount: pool.minNodes ?? pool.nodeCount ?? 1,
        },
        kubeConfigs: pulumi.secret([
          { rawConfig, host: endpoint, token, clusterCaCertificate: ca, expiresAt: "2026-01-08T00:00:00Z" },
        ]),
      },
    };
  },
  "digitalocean:index/kubernetesNodePool:KubernetesNodePool": (urn, _n, inputs) => ({
    id: fakeUuid(urn),
    state: { ...inputs, actualNodeCount: inputs.minNodes ?? inputs.nodeCount ?? 1, nodes: [] },
  }),
  "digitalocean:index/databaseCluster:DatabaseCluster": databaseCluster,
  "digitalocean:index/databaseReplica:DatabaseReplica": (urn, name, inputs) => {
    const base = databaseCluster(urn, name, { ...inputs, engine: "pg" });
    return { id: base.id, state: { ...base.state, uuid: base.id } };
  },
  "digitalocean:index/databaseDb:DatabaseDb": (urn, _n, inputs) => ({ id: fakeUuid(urn), state: inputs }),
  "digitalocean:index/databaseUser:DatabaseUser": (urn, _n, inputs) => ({
    id: fakeUuid(urn),
    state: { ...inputs, role: "normal", password: pulumi.secret(fakePassword(urn)) },
  }),
  "digitalocean:index/databaseConnectionPool:DatabaseConnectionPool": (urn, name, inputs) => {
    const poolName = str(inputs, "name", name);
    const password = fakePassword(urn);
    const user = str(inputs, "user", "doadmin");
    const db = str(inputs, "dbName", "defaultdb");
    const host = `${poolName}-do-user-1000000-0.m.db.ondigitalocean.com`;
    const uri = (h: string) => `postgresql://${user}:${password}@${h}:25061/${poolName}?sslmode=require`;
    return {
      id: fakeUuid(urn),
      state: {
        ...inputs,
        dbName: db,
        host,
        privateHost: `private-${host}`,
        port: 25061,
        password: pulumi.secret(password),
        uri: pulumi.secret(uri(host)),
        privateUri: pulumi.secret(uri(`private-${host}`)),
      },
    };
  },
  "digitalocean:index/databaseFirewall:DatabaseFirewall": (urn, _n, inputs) => ({
    id: fakeUuid(urn),
    state: inputs,
  }),
  "digitalocean:index/databaseValkeyConfig:DatabaseValkeyConfig": (urn, _n, inputs) => ({
    id: fakeUuid(urn),
    state: inputs,
  }),
  "digitalocean:index/databasePostgresqlConfig:DatabasePostgresqlConfig": (urn, _n, inputs) => ({
    id: fakeUuid(urn),
    state: inputs,
  }),
  "digitalocean:index/containerRegistry:ContainerRegistry": (urn, name, inputs) => {
    const registry = str(inputs, "name", name);
    return {
      id: registry,
      state: {
        ...inputs,
        endpoint: `registry.digitalocean.com/${registry}`,
        serverUrl: "registry.digitalocean.com",
        storageUsageBytes: 0,
        createdAt: CREATED_AT,
        id: fakeUuid(urn),
      },
    };
  },
  "digitalocean:index/containerRegistryDockerCredentials:ContainerRegistryDockerCredentials": (
    urn,
    _n,
    inputs,
  ) => ({
    id: fakeUuid(urn),
    state: {
      ...inputs,
      dockerCredentials: pulumi.secret(
        JSON.stringify({ auths: { "registry.digitalocean.com": { auth: fakePassword(urn, 40) } } }),
      ),
      credentialExpirationTime: "2027-01-01T00:00:00Z",
    },
  }),
  "digitalocean:index/droplet:Droplet": (urn, _n, inputs) => ({
    id: fakeNumericId(urn),
    state: {
      ...inputs,
      dropletUrn: `do:droplet:${fakeNumericId(urn)}`,
      ipv4Address: fakePublicIpv4(urn),
      ipv4AddressPrivate: fakeAddressIn("10.250.0.0/16", urn),
      status: "active",
      createdAt: CREATED_AT,
    },
  }),
  "digitalocean:index/reservedIp:ReservedIp": (urn, _n, inputs) => {
    const ip = fakePublicIpv4(`${urn}#reserved`);
    return { id: ip, state: { ...inputs, ipAddress: ip, reservedIpUrn: `do:reservedip:${ip}` } };
  },
  "digitalocean:index/reservedIpAssignment:ReservedIpAssignment": (urn, _n, inputs) => ({
    id: fakeUuid(urn),
    state: inputs,
  }),
  "digitalocean:index/firewall:Firewall": (urn, _n, inputs) => ({
    id: fakeUuid(urn),
    state: { ...inputs, status: "succeeded", pendingChanges: [], createdAt: CREATED_AT },
  }),
  "digitalocean:index/domain:Domain": (_urn, name, inputs) => {
    const domain = str(inputs, "name", name);
    return { id: domain, state: { ...inputs, domainUrn: `do:domain:${domain}`, ttl: 1800 } };
  },
  "digitalocean:index/dnsRecord:DnsRecord": (urn, name, inputs) => {
    const record = str(inputs, "name", name);
    const domain = str(inputs, "domain", "example.com");
    return {
      id: String(fakeNumericId(urn)),
      state: { ...inputs, fqdn: record === "@" ? domain : `${record}.${domain}`, ttl: inputs.ttl ?? 1800 },
    };
  },
  "digitalocean:index/certificate:Certificate": (urn, _n, inputs) => {
    const uuid = fakeUuid(urn);
    return { id: uuid, state: { ...inputs, uuid, state: "verified", notAfter: "2027-03-01T00:00:00Z" } };
  },
  "digitalocean:index/spacesBucket:SpacesBucket": (_urn, name, inputs) => {
    const bucket = str(inputs, "name", name);
    const region = str(inputs, "region", "sgp1");
    return {
      id: bucket,
      state: {
        ...inputs,
        bucketDomainName: `${bucket}.${region}.digitaloceanspaces.com`,
        endpoint: `${region}.digitaloceanspaces.com`,
        bucketUrn: `do:space:${bucket}`,
      },
    };
  },
  "digitalocean:index/spacesBucketCorsConfiguration:SpacesBucketCorsConfiguration": (urn, _n, inputs) => ({
    id: fakeUuid(urn),
    state: inputs,
  }),
  "digitalocean:index/spacesBucketObject:SpacesBucketObject": (_urn, _n, inputs) => ({
    id: `${str(inputs, "bucket", "bucket")}/${str(inputs, "key", "key")}`,
    state: inputs,
  }),
  "digitalocean:index/spacesKey:SpacesKey": (urn, _n, inputs) => ({
    id: fakeUuid(urn),
    state: {
      ...inputs,
      accessKey: `DO00${digest(urn, "access").toString("hex").slice(0, 16).toUpperCase()}`,
      secretKey: pulumi.secret(fakePassword(urn, 43)),
      createdAt: CREATED_AT,
    },
  }),
  "digitalocean:index/cdn:Cdn": (urn, _n, inputs) => {
    const origin = str(inputs, "origin", "bucket.sgp1.digitaloceanspaces.com");
    return {
      id: fakeUuid(urn),
      state: {
        ...inputs,
        endpoint: origin.replace(".digitaloceanspaces.com", ".cdn.digitaloceanspaces.com"),
      },
    };
  },
  "digitalocean:index/monitorAlert:MonitorAlert": (urn, _n, inputs) => ({
    id: fakeUuid(urn),
    state: { ...inputs, uuid: fakeUuid(urn) },
  }),
  "digitalocean:index/uptimeCheck:UptimeCheck": (urn, _n, inputs) => ({ id: fakeUuid(urn), state: inputs }),
  "digitalocean:index/uptimeAlert:UptimeAlert": (urn, _n, inputs) => ({ id: fakeUuid(urn), state: inputs }),
  "digitalocean:index/tag:Tag": (_urn, name, inputs) => ({ id: str(inputs, "name", name), state: inputs }),
  "random:index/randomPassword:RandomPassword": (urn, _n, inputs) => {
    const length = typeof inputs.length === "number" ? inputs.length : 32;
    return { id: "none", state: { ...inputs, result: pulumi.secret(fakePassword(urn, length)) } };
  },
};

/**
 * A real, deterministic ECDSA P-256 key (the TLS provider generates one at create): the private scalar comes
 * from the URN, the public point from it, so consumers that parse the PEM (auth's JWKS) get a valid key.
 */
function fakeEcPrivateKeyPem(urn: string): string {
  const d = digest(urn, "ec-key");
  const ecdh = createECDH("prime256v1");
  ecdh.setPrivateKey(d);
  const point = ecdh.getPublicKey();
  const jwk = {
    kty: "EC",
    crv: "P-256",
    d: d.toString("base64url"),
    x: point.subarray(1, 33).toString("base64url"),
    y: point.subarray(33, 65).toString("base64url"),
  };
  return createPrivateKey({ key: jwk, format: "jwk" }).export({ type: "sec1", format: "pem" }).toString();
}

models["tls:index/privateKey:PrivateKey"] = (urn, _n, inputs) => {
  const pem = fakeEcPrivateKeyPem(urn);
  const key = createPrivateKey(pem);
  const publicKeyPem = createPublicKey(key).export({ type: "spki", format: "pem" }).toString();
  return {
    id: digest(urn, "tls-id").toString("hex").slice(0, 40),
    state: {
      ...inputs,
      privateKeyPem: pulumi.secret(pem),
      privateKeyPemPkcs8: pulumi.secret(key.export({ type: "pkcs8", format: "pem" }).toString()),
      publicKeyPem,
    },
  };
};

/** Kubernetes objects: the API server echoes the object back with a uid; nothing else is computed at create. */
const kubernetesObject: Model = (urn, name, inputs) => {
  const metadata = (inputs.metadata ?? {}) as Inputs;
  return {
    id: `${typeof metadata.namespace === "string" ? `${metadata.namespace}/` : ""}${str(metadata, "name", name)}`,
    state: { ...inputs, metadata: { ...metadata, uid: fakeUuid(urn) } },
  };
};

/**
 * A Service of type LoadBalancer gets its address from DigitalOcean's cloud controller once the load balancer
 * exists: `status.loadBalancer.ingress[0].ip`, from the documentation range. A read (`Service.get`) carries no
 * spec; the program only reads Services to learn a load balancer's address, so a read answers the same way.
 */
const kubernetesService: Model = (urn, name, inputs) => {
  const object = kubernetesObject(urn, name, inputs);
  const spec = inputs.spec as Inputs | undefined;
  if (spec !== undefined && spec.type !== "LoadBalancer") return object;
  return {
    id: object.id,
    state: {
      ...object.state,
      ...(spec === undefined && { apiVersion: "v1", kind: "Service", spec: { type: "LoadBalancer" } }),
      status: { loadBalancer: { ingress: [{ ip: fakePublicIpv4(`${urn}#load-balancer`) }] } },
    },
  };
};
models["kubernetes:core/v1:Service"] = kubernetesService;

export function fakeResource(type: string, urn: string, name: string, inputs: Inputs): FakeResource {
  if (type.startsWith("pulumi:providers:")) return { id: fakeUuid(urn), state: inputs };
  const model = models[type] ?? (type.startsWith("kubernetes:") ? kubernetesObject : undefined);
  if (!model) {
    throw new Error(
      `offline plan: no fake outputs for resource type "${type}" (resource "${name}"); ` +
        "model its provider-computed outputs in infra/plan/fake-outputs.ts",
    );
  }
  return model(urn, name, inputs);
}

/** Invokes the program may make; any other token stops the plan. The program pins versions to need none. */
const invokes: Record<string, (inputs: Inputs) => Inputs> = {};

export function fakeInvoke(token: string, inputs: Inputs): Inputs {
  const handler = invokes[token];
  if (!handler) {
    throw new Error(
      `offline plan: invoke "${token}" is not mocked — a credential-free preview cannot call the cloud API; ` +
        "pin the value in stack config or add a model in infra/plan/fake-outputs.ts",
    );
  }
  return handler(inputs);
}
