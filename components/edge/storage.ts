import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { resourceName, type StackIdentity } from "../naming.ts";
import { webHost } from "./web-config.ts";

export interface StorageArgs {
  identity: StackIdentity;
  region: string;
  domain: string;
  cdnTtlSeconds: number;
  recordingRetentionDays: number;
  /** The CDN's custom domain needs its DNS zone to exist first (Let's Encrypt validates through it). */
  zone: pulumi.Resource;
}

/**
 * Spaces: a public bucket holding the web app behind the DigitalOcean CDN on `meet.<domain>` (components/edge/
 * web-app.ts uploads it), and a private bucket of recordings that expire after the retention period. Two keys,
 * both limited to the recordings bucket: egress writes recordings with its own, and the meetings service presigns
 * playback URLs and deletes recordings with the other.
 */
export class Storage extends pulumi.ComponentResource {
  readonly cdnEndpoint: pulumi.Output<string>;
  readonly assetsBucket: pulumi.Output<string>;
  /** The CDN's custom domain, where people open the app. */
  readonly webHost: string;
  readonly recordingsBucket: pulumi.Output<string>;
  readonly recordingsEndpoint: string;
  readonly egressKey: { accessKey: pulumi.Output<string>; secretKey: pulumi.Output<string> };
  readonly meetingsKey: { accessKey: pulumi.Output<string>; secretKey: pulumi.Output<string> };
  readonly bucketUrns: pulumi.Output<string>[];

  constructor(name: string, args: StorageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gomeet:edge:Storage", name, {}, opts);
    const assets = new digitalocean.SpacesBucket(
      `${name}-assets`,
      { name: resourceName(args.identity, "assets"), region: args.region, acl: "public-read" },
      { parent: this },
    );
    const recordings = new digitalocean.SpacesBucket(
      `${name}-recordings`,
      {
        name: resourceName(args.identity, "recordings"),
        region: args.region,
        acl: "private",
        lifecycleRules: [
          {
            id: "expire-recordings",
            enabled: true,
            expiration: { days: args.recordingRetentionDays },
            abortIncompleteMultipartUploadDays: 1,
          },
        ],
      },
      { parent: this },
    );
    const cdnDomain = webHost(args.domain);
    const certificate = new digitalocean.Certificate(
      `${name}-cdn-cert`,
      { name: resourceName(args.identity, "cdn-cert"), type: "lets_encrypt", domains: [cdnDomain] },
      { parent: this, dependsOn: [args.zone] },
    );
    const cdn = new digitalocean.Cdn(
      `${name}-cdn`,
      {
        origin: assets.bucketDomainName,
        customDomain: cdnDomain,
        certificateName: certificate.name,
        ttl: args.cdnTtlSeconds,
      },
      { parent: this },
    );
    const egressKey = new digitalocean.SpacesKey(
      `${name}-egress-key`,
      {
        name: resourceName(args.identity, "egress"),
        grants: [{ bucket: recordings.name, permission: "readwrite" }],
      },
      { parent: this },
    );
    const meetingsKey = new digitalocean.SpacesKey(
      `${name}-meetings-key`,
      {
        name: resourceName(args.identity, "meetings"),
        grants: [{ bucket: recordings.name, permission: "readwrite" }],
      },
      { parent: this },
    );
    this.cdnEndpoint = cdn.endpoint;
    this.assetsBucket = assets.name;
    this.webHost = cdnDomain;
    this.recordingsBucket = recordings.name;
    this.recordingsEndpoint = `https://${args.region}.digitaloceanspaces.com`;
    this.egressKey = { accessKey: egressKey.accessKey, secretKey: pulumi.secret(egressKey.secretKey) };
    this.meetingsKey = { accessKey: meetingsKey.accessKey, secretKey: pulumi.secret(meetingsKey.secretKey) };
    this.bucketUrns = [assets.bucketUrn, recordings.bucketUrn];
    this.registerOutputs({ cdnEndpoint: this.cdnEndpoint, recordingsBucket: this.recordingsBucket });
  }
}
