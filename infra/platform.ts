import type * as pulumi from "@pulumi/pulumi";
import { Project } from "../components/edge/project.ts";
import type { WebBuild } from "../components/edge/web-build.ts";
import { webOrigin } from "../components/edge/web-config.ts";
import { stackTag } from "../components/naming.ts";
import type { PlatformConfig } from "../stacks/schema.ts";
import { createAppsLayer } from "./layers/apps.ts";
import { createCloudLayer } from "./layers/cloud.ts";
import { createInClusterLayer } from "./layers/in-cluster.ts";
import { createMediaLayer } from "./layers/media.ts";

export interface PlatformSecrets {
  /** Alertmanager's Slack webhook (`gomeet:alertSlackWebhookUrl`), when the stack sets one. */
  alertSlackWebhookUrl?: pulumi.Output<string>;
  /**
   * DNS-scoped DigitalOcean token (`gomeet:digitaloceanDnsToken`) for the DNS-01 challenges of cert-manager and of
   * the TURN droplets' certbot. Without it cert-manager expects its Secret to exist and each TURN droplet proves
   * only its own `turn-N` name over HTTP-01.
   */
  digitaloceanDnsToken?: pulumi.Output<string>;
  /** Grafana's OAuth client secret (`gomeet:grafanaOAuthClientSecret`); required when Grafana is routed. */
  grafanaOAuthClientSecret?: pulumi.Output<string>;
}

/** Files the program reads besides its config. */
export interface PlatformInputs {
  /** The web app's build (apps/web/dist); absent only in an offline plan that allows it. */
  webBuild?: WebBuild | undefined;
}

/** What `pulumi stack output` shows: the endpoints users need; credentials only as secrets. */
export interface PlatformOutputs {
  environment: string;
  region: string;
  apiUrl: string;
  livekitUrl: string;
  grafanaUrl: string;
  /** Where people open the app: the CDN's custom domain. */
  webUrl: string;
  vpcId: pulumi.Output<string>;
  clusterId: pulumi.Output<string>;
  kubeconfig: pulumi.Output<string>;
  registry: string;
}

/**
 * The composition root: creates every platform layer for one stack from its validated configuration, then the
 * DigitalOcean project that holds what they created. Layers live in infra/layers/ (one module each); components
 * receive plain typed arguments, and environment differences live in the presets, not here.
 */
export function createPlatform(
  stack: string,
  config: PlatformConfig,
  secrets: PlatformSecrets,
  inputs: PlatformInputs = {},
): PlatformOutputs {
  const identity = { stack, tags: [...new Set([...config.tags, stackTag(stack)])] };
  const cloud = createCloudLayer(identity, config, inputs.webBuild);
  const inCluster = createInClusterLayer(identity, config, cloud, secrets);
  const media = createMediaLayer(identity, config, cloud, {
    registryEndpoint: cloud.registryEndpoint,
    ordering: {
      baseline: inCluster.baseline.ready,
      crdInstallers: {
        "monitoring.coreos.com": inCluster.monitoring.release,
        "traefik.io": inCluster.gateway.traefik,
        "cert-manager.io": inCluster.gateway.certManager,
      },
    },
    ...(secrets.digitaloceanDnsToken ? { turnDnsApiToken: secrets.digitaloceanDnsToken } : {}),
  });
  createAppsLayer(config, cloud, inCluster, media);

  new Project("project", {
    identity,
    environment: config.environment,
    resources: [...cloud.projectResources, ...media.projectResources],
  });

  return {
    environment: config.environment,
    region: config.region,
    apiUrl: `https://api.${config.domain}`,
    livekitUrl: `wss://livekit.${config.domain}`,
    grafanaUrl: inCluster.grafanaUrl,
    webUrl: webOrigin(config.domain),
    vpcId: cloud.network.vpcId,
    clusterId: cloud.cluster.clusterId,
    kubeconfig: cloud.cluster.kubeconfig,
    registry: cloud.registryEndpoint,
  };
}
