import type * as pulumi from "@pulumi/pulumi";
import { meetingsWebhookUrl } from "../../components/apps/service-registry.ts";
import { afterPlatform, type PlatformOrdering } from "../../components/baseline/ordering.ts";
import { Egress } from "../../components/media/egress.ts";
import { LiveKit } from "../../components/media/livekit.ts";
import { turnProberImage } from "../../components/media/media-images.ts";
import { TurnFleet } from "../../components/media/turn-fleet.ts";
import { TurnProber } from "../../components/media/turn-prober.ts";
import type { StackIdentity } from "../../components/naming.ts";
import type { PlatformConfig } from "../../stacks/schema.ts";
import type { CloudLayer } from "./cloud.ts";

/** LiveKit's and egress' namespace; the baseline component creates it (components/baseline/namespaces.ts). */
export const MEDIA_NAMESPACE = "media";
/**
 * The prober is a monitoring workload on the apps pool, not a media pod (the media namespace's policies — drain
 * grace, anti-affinity — are for pods that hold meetings).
 */
export const PROBER_NAMESPACE = "monitoring";

export interface MediaLayerOptions {
  /** `registry.digitalocean.com/<name>`, for GoMeet's own images (the TURN prober). */
  registryEndpoint: string;
  /** `gomeet:digitaloceanDnsToken`: lets the TURN droplets get DNS-01 certificates covering `turn.<domain>`. */
  turnDnsApiToken?: pulumi.Output<string>;
  /** What the in-cluster media objects wait for on a new cluster: their namespaces and the monitoring CRDs. */
  ordering: PlatformOrdering;
}

/** The media layer: TURN fleet, LiveKit SFU, egress and the TURN prober. */
export interface MediaLayer {
  turn: TurnFleet;
  livekit: LiveKit;
  /** What the gateway routes `wss://livekit.<domain>` to. */
  livekitService: LiveKit["service"];
  /** DigitalOcean URNs of the TURN droplets and reserved IPs, for the project. */
  projectResources: pulumi.Input<string>[];
}

export function createMediaLayer(
  identity: StackIdentity,
  config: PlatformConfig,
  cloud: CloudLayer,
  options: MediaLayerOptions,
): MediaLayer {
  const providers = {
    providers: [cloud.cluster.provider],
    transformations: [afterPlatform(options.ordering)],
  };
  const turn = new TurnFleet("turn", {
    identity,
    region: config.region,
    domain: config.domain,
    turn: config.turn,
    alertEmails: config.monitoring.alertEmails,
    protect: config.protect,
    vpcId: cloud.network.vpcId,
    dns: cloud.dns,
    ...(options.turnDnsApiToken ? { dnsApiToken: options.turnDnsApiToken } : {}),
  });
  const valkey = { host: cloud.valkey.host, port: cloud.valkey.port, password: cloud.valkey.password };
  const livekit = new LiveKit(
    "livekit",
    {
      identity,
      region: config.region,
      media: config.media,
      pool: config.cluster.pools.media,
      namespace: MEDIA_NAMESPACE,
      valkey,
      turn: {
        stunServers: turn.stunServers,
        servers: turn.liveKitTurnServers,
        sharedSecret: turn.sharedSecret,
      },
      webhookUrls: [meetingsWebhookUrl()],
    },
    providers,
  );
  new Egress(
    "egress",
    {
      region: config.region,
      egress: config.egress,
      pool: config.cluster.pools.egress,
      namespace: livekit.namespace,
      livekit: { apiKey: livekit.apiKey, apiSecret: livekit.apiSecret, url: livekit.internalUrl },
      valkey,
      recordings: {
        bucket: cloud.storage.recordingsBucket,
        accessKey: cloud.storage.egressKey.accessKey,
        secretKey: cloud.storage.egressKey.secretKey,
      },
    },
    providers,
  );
  new TurnProber(
    "turn-prober",
    {
      namespace: PROBER_NAMESPACE,
      image: turnProberImage(options.registryEndpoint, config.services.imageTag),
      reservedIps: turn.reservedIps,
      sharedSecret: turn.sharedSecret,
    },
    providers,
  );
  return { turn, livekit, livekitService: livekit.service, projectResources: turn.projectResources };
}
