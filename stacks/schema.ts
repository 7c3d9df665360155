import { z } from "zod";
import { isKnownDropletSize } from "../catalogue/droplet-sizes.ts";

/**
 * One schema for the whole platform. A stack's effective configuration is its environment preset
 * (stacks/presets/*.ts) deep-merged with the `gomeet:overrides` object of `Pulumi.<stack>.yaml`, validated
 * once at program start by stacks/loader.ts. Messages are written for the person editing the YAML file:
 * each rule says what it expects in words, and the loader adds the config path and the value found.
 */

const cidr = z
  .string()
  .regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d|[12]\d|3[0-2])$/, {
    message: "expected an IPv4 CIDR such as 10.20.0.0/16",
  })
  .refine(
    (v) =>
      v
        .split("/")[0]!
        .split(".")
        .every((o) => Number(o) <= 255),
    {
      message: "expected an IPv4 CIDR with octets 0-255",
    },
  );

const hostname = z.string().regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, {
  message: "expected a lower-case DNS name such as meet.example.com",
});

const dropletSize = z.string().refine(isKnownDropletSize, {
  message: "expected a DigitalOcean Droplet size slug from catalogue/droplet-sizes.json (e.g. c-16-intel)",
});

/** Managed-database node sizes offered for PostgreSQL and Valkey (docs/sources.md#managed-database-sizes). */
export const DATABASE_SIZES = [
  "db-s-1vcpu-1gb",
  "db-s-1vcpu-2gb",
  "db-s-2vcpu-4gb",
  "db-s-4vcpu-8gb",
  "db-s-6vcpu-16gb",
  "db-s-8vcpu-32gb",
  "db-s-16vcpu-64gb",
  "gd-2vcpu-8gb",
  "gd-4vcpu-16gb",
  "gd-8vcpu-32gb",
  "gd-16vcpu-64gb",
] as const;
const databaseSize = z.enum(DATABASE_SIZES, {
  message: `expected one of the managed-database sizes ${DATABASE_SIZES.join(", ")}`,
});

const positiveInt = (what: string) =>
  z
    .number({ message: `expected ${what}` })
    .int({ message: `expected ${what}` })
    .min(1, { message: `expected ${what}` });

const nonNegativeInt = (what: string) =>
  z
    .number({ message: `expected ${what}` })
    .int({ message: `expected ${what}` })
    .min(0, { message: `expected ${what}` });

const port = z
  .number({ message: "expected a port from 1 to 65535" })
  .int({ message: "expected a port from 1 to 65535" })
  .min(1, { message: "expected a port from 1 to 65535" })
  .max(65535, { message: "expected a port from 1 to 65535" });

/** A refinement for `{ low, high }` pairs: reported on the low setting, naming the high one's value. */
function lowAtMostHigh<L extends string, H extends string>(low: L, high: H) {
  return (value: Record<L | H, number>, ctx: z.RefinementCtx) => {
    if (value[low] > value[high]) {
      ctx.addIssue({ code: "custom", path: [low], message: `expected ${low} ≤ ${high} (${value[high]})` });
    }
  };
}

const portRange = z.strictObject({ min: port, max: port }).superRefine(lowAtMostHigh("min", "max"));

export const nodePoolSchema = z
  .strictObject({
    size: dropletSize,
    minNodes: positiveInt("an integer ≥ 1 (DOKS pools always keep one node)"),
    maxNodes: positiveInt("an integer ≥ 1"),
  })
  .superRefine(lowAtMostHigh("minNodes", "maxNodes"));
export type NodePoolConfig = z.infer<typeof nodePoolSchema>;

const replicaBounds = z
  .strictObject({
    minReplicas: positiveInt("an integer ≥ 1"),
    maxReplicas: positiveInt("an integer ≥ 1"),
    cpu: z
      .string()
      .regex(/^\d+m$|^\d+(\.\d+)?$/, { message: "expected a Kubernetes CPU quantity such as 250m" }),
    memory: z
      .string()
      .regex(/^\d+(Mi|Gi)$/, { message: "expected a Kubernetes memory quantity such as 256Mi" }),
  })
  .superRefine(lowAtMostHigh("minReplicas", "maxReplicas"));
export type ServiceScaleConfig = z.infer<typeof replicaBounds>;

const weekday = z.enum(
  ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "any"],
  {
    message: "expected a weekday in lower case (monday … sunday) or any",
  },
);

const grafanaLogin = z.discriminatedUnion(
  "provider",
  [
    z.strictObject({
      provider: z.literal("github"),
      clientId: z
        .string()
        .regex(/^[A-Za-z0-9._-]{8,64}$/, { message: "expected a GitHub OAuth app client id" }),
      /** Only members of these GitHub organizations may sign in. */
      organizations: z
        .array(z.string().regex(/^[A-Za-z0-9-]{1,39}$/, { message: "expected a GitHub organization name" }))
        .min(1, { message: "expected at least one GitHub organization" }),
    }),
    z.strictObject({
      provider: z.literal("generic"),
      /** What Grafana's login button says, e.g. the identity provider's name. */
      name: z.string().min(1, { message: "expected a display name" }),
      clientId: z.string().min(1, { message: "expected the OIDC client id" }),
      authUrl: z.url({ protocol: /^https$/, message: "expected an https:// authorization URL" }),
      tokenUrl: z.url({ protocol: /^https$/, message: "expected an https:// token URL" }),
      apiUrl: z.url({ protocol: /^https$/, message: "expected an https:// userinfo URL" }),
      /** Only accounts whose e-mail is in one of these domains may sign in. */
      allowedDomains: z.array(hostname).min(1, { message: "expected at least one e-mail domain" }),
    }),
  ],
  { message: "expected provider github or generic" },
);

/**
 * Grafana is reachable from the internet only from `allowList` (Traefik IPAllowList on its route; empty: no
 * public route at all) and signs users in through `login` alone — no anonymous access, no login form, no basic
 * auth. The OAuth client secret is the Pulumi secret `gomeet:grafanaOAuthClientSecret`.
 */
const grafanaSchema = z.strictObject({
  allowList: z.array(cidr).max(100, { message: "expected at most 100 CIDRs" }),
  login: grafanaLogin,
});
export type GrafanaConfig = z.infer<typeof grafanaSchema>;

export const platformSchema = z.strictObject({
  environment: z.enum(["staging", "production", "ephemeral"], {
    message: "expected one of staging, production, ephemeral",
  }),
  region: z.literal("sgp1", { message: "expected sgp1 (GoMeet runs in Singapore)" }),
  domain: hostname,
  network: z.strictObject({
    vpcCidr: cidr,
    clusterSubnet: cidr,
    serviceSubnet: cidr,
  }),
  cluster: z.strictObject({
    version: z.string().regex(/^\d+\.\d+\.\d+-do\.\d+$/, {
      message: "expected a pinned DOKS version slug such as 1.35.1-do.6",
    }),
    highAvailability: z.boolean({ message: "expected true or false" }),
    surgeUpgrade: z.boolean({ message: "expected true or false" }),
    autoUpgrade: z.boolean({ message: "expected true or false" }),
    maintenanceWindow: z.strictObject({
      day: weekday,
      startTime: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: "expected a UTC time HH:MM" }),
    }),
    controlPlaneAllowList: z.array(cidr).max(100, { message: "expected at most 100 CIDRs" }),
    kubeconfigExpireSeconds: z
      .number()
      .int()
      .min(3600, { message: "expected an integer from 3600 to 604800 seconds (1 hour to 7 days)" })
      .max(604_800, { message: "expected an integer from 3600 to 604800 seconds (1 hour to 7 days)" }),
    pools: z.strictObject({
      system: nodePoolSchema,
      apps: nodePoolSchema,
      media: nodePoolSchema,
      egress: nodePoolSchema,
    }),
  }),
  postgres: z.strictObject({
    /**
     * The cluster's name when it is not `gomeet-<stack>-pg`: after a point-in-time restore the stack adopts the
     * restored cluster under its own name (docs/runbooks/postgres-restore.md).
     */
    clusterName: z
      .string()
      .regex(/^[a-z][a-z0-9-]{2,62}$/, { message: "expected 3-63 lower-case letters, digits or dashes" })
      .optional(),
    version: z.enum(["15", "16", "17", "18"], {
      message: "expected a PostgreSQL major version 15, 16, 17 or 18",
    }),
    size: databaseSize,
    nodeCount: z
      .number()
      .int()
      .min(1, { message: "expected 1 to 3 nodes (primary plus up to 2 standbys)" })
      .max(3, { message: "expected 1 to 3 nodes (primary plus up to 2 standbys)" }),
    chatShards: z
      .number()
      .int()
      .min(1, { message: "expected 1 to 8 chat shards" })
      .max(8, { message: "expected 1 to 8 chat shards" }),
    poolSize: z.strictObject({
      auth: positiveInt("an integer ≥ 1 (PgBouncer pool connections)"),
      meetings: positiveInt("an integer ≥ 1 (PgBouncer pool connections)"),
      chat: positiveInt("an integer ≥ 1 (PgBouncer pool connections)"),
    }),
  }),
  valkey: z.strictObject({
    /**
     * Managed Valkey clusters the app keyspace is partitioned over by meeting id (DigitalOcean offers no cluster
     * mode; docs/data.md). LiveKit keeps an instance of its own besides these.
     */
    shards: z
      .number()
      .int()
      .min(1, { message: "expected 1 to 8 Valkey shards" })
      .max(8, { message: "expected 1 to 8 Valkey shards" }),
    size: databaseSize,
    nodeCount: z
      .number()
      .int()
      .min(1, { message: "expected 1 or 2 nodes (primary plus at most one standby)" })
      .max(2, { message: "expected 1 or 2 nodes (primary plus at most one standby)" }),
  }),
  registry: z.strictObject({
    /** DOCR allows one registry per account below the professional tier, so one stack owns it. */
    manage: z.boolean({ message: "expected true or false" }),
    name: z
      .string()
      .regex(/^[a-z0-9-]{3,63}$/, { message: "expected 3-63 lower-case letters, digits or dashes" }),
    tier: z.enum(["starter", "basic", "professional"], {
      message: "expected starter, basic or professional",
    }),
  }),
  turn: z.strictObject({
    count: positiveInt("an integer ≥ 1"),
    size: dropletSize,
    adminSshCidrs: z.array(cidr),
    /**
     * DigitalOcean SSH key ids or fingerprints installed for root on the TURN droplets. A droplet created without
     * keys gets a root password (docs/security.md), so SSH is only opened when keys are given.
     */
    sshKeys: z.array(
      z.string().regex(/^(\d{1,12}|[0-9a-f]{2}(:[0-9a-f]{2}){15})$/, {
        message: "expected a DigitalOcean SSH key id or an MD5 fingerprint such as 3b:16:…:4f",
      }),
    ),
    relayPorts: portRange,
  }),
  media: z.strictObject({
    targetMeetings: positiveInt("an integer ≥ 1"),
    participantsPerMeeting: z
      .number()
      .int()
      .min(2, { message: "expected an integer from 2 to 500" })
      .max(500, { message: "expected an integer from 2 to 500" }),
    /** Hours a month the target meetings run: what the plan's bandwidth cost is priced for (docs/capacity.md). */
    meetingHoursPerMonth: z
      .number()
      .int()
      .min(1, { message: "expected an integer from 1 to 744 hours" })
      .max(744, { message: "expected an integer from 1 to 744 hours" }),
    rtcUdpPorts: portRange,
    rtcTcpPort: port,
  }),
  egress: z
    .strictObject({
      minReplicas: nonNegativeInt("an integer ≥ 0"),
      maxReplicas: positiveInt("an integer ≥ 1"),
    })
    .superRefine(lowAtMostHigh("minReplicas", "maxReplicas")),
  gateway: z.strictObject({
    loadBalancerNodes: positiveInt("an integer ≥ 1"),
    rateLimitPerMinute: positiveInt("an integer ≥ 1"),
    maxBodyBytes: positiveInt("an integer ≥ 1"),
    /** Let's Encrypt directory: `staging` for short-lived stacks, so they never spend production rate limits. */
    letsEncrypt: z.enum(["production", "staging"], { message: "expected production or staging" }),
  }),
  monitoring: z.strictObject({
    retention: z.string().regex(/^\d+[dh]$/, { message: "expected a Prometheus retention such as 15d" }),
    storageGi: positiveInt("an integer ≥ 1 (GiB)"),
    /** The mailbox critical alerts page (one per severity route; use a list address for a team). */
    alertEmails: z
      .array(z.email({ message: "expected an e-mail address" }))
      .max(1, { message: "expected at most one address (use a mailing-list address for a team)" }),
    /** Slack channel of the `gomeet:alertSlackWebhookUrl` webhook. */
    slackChannel: z
      .string()
      .regex(/^#[a-z0-9_-]+$/, { message: "expected a channel such as #gomeet-alerts" }),
    /** Mail relay Alertmanager sends through (STARTTLS), and the sender address. */
    smtp: z.strictObject({
      smarthost: z
        .string()
        .regex(/^[a-z0-9.-]+:\d{1,5}$/, { message: "expected host:port such as smtp.example.com:587" }),
      from: z.email({ message: "expected an e-mail address" }),
    }),
    /** DigitalOcean uptime checks and alerts on the public endpoints ($1 per check a month, docs/sources.md#monitoring-and-uptime-checks). */
    uptimeChecks: z.boolean({ message: "expected true or false" }),
    grafana: grafanaSchema,
  }),
  cdn: z.strictObject({
    ttlSeconds: z
      .number()
      .int()
      .refine((v) => [60, 600, 3600, 86400, 604800].includes(v), {
        message: "expected one of the CDN TTLs 60, 600, 3600, 86400, 604800",
      }),
    recordingRetentionDays: positiveInt("an integer ≥ 1"),
  }),
  services: z.strictObject({
    imageTag: z.string().regex(/^(?!latest$)[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, {
      message: "expected a pinned image tag (not latest) such as 2026.11.26-abc1234",
    }),
    /**
     * Labels of auth's signing keys, oldest first; the last one signs, the others stay in the JWKS until
     * removed (rotation: components/apps/signing-keys.ts, docs/services/auth.md).
     */
    authSigningKeys: z
      .array(
        z
          .string()
          .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, { message: "expected a lower-case key label such as 2026-11" }),
      )
      .min(1, { message: "expected 1 to 3 signing key labels" })
      .max(3, { message: "expected 1 to 3 signing key labels" })
      .refine((labels) => new Set(labels).size === labels.length, {
        message: "expected distinct key labels",
      }),
    auth: replicaBounds,
    meetings: replicaBounds,
    chat: replicaBounds,
  }),
  protect: z.boolean({ message: "expected true or false" }),
  tags: z.array(z.string().regex(/^[a-z0-9:_-]{1,255}$/, { message: "expected a lower-case tag" })),
});

export type PlatformConfig = z.infer<typeof platformSchema>;
export type Environment = PlatformConfig["environment"];

/** A partial configuration: what a preset or `gomeet:overrides` may carry. */
export type PlatformOverrides = DeepPartial<PlatformConfig>;
type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;
