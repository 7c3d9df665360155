import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  egressInput,
  liveKitInput,
  turnCloudInitInput,
  turnServerInput,
} from "../../test/media/support/stack-inputs.ts";
import { renderEgressConfig } from "./egress-config.ts";
import { renderLiveKitConfig } from "./livekit-config.ts";
import { renderTurnCloudInit } from "./turn-cloud-init.ts";
import { renderTurnServerConf } from "./turnserver-conf.ts";

describe("renderLiveKitConfig", () => {
  const config = parse(renderLiveKitConfig(liveKitInput("production"))) as Record<
    string,
    Record<string, unknown>
  >;

  it("places rooms with the cpuload selector sorted by rooms and caps rooms at 500", () => {
    expect(config.node_selector).toEqual({
      kind: "cpuload",
      sort_by: "rooms",
      algorithm: "lowest",
      cpu_load_limit: 0.8,
    });
    expect(config.room?.max_participants).toBe(500);
  });

  it("hands clients every TURN droplet by name, with the shared secret so LiveKit mints credentials", () => {
    const secret = "production-turn-shared-secret-0123456789";
    const hosts = ["turn-1.gomeet.example", "turn-2.gomeet.example", "turn-3.gomeet.example"];
    expect(config.rtc?.turn_servers).toEqual([
      ...hosts.map((host) => ({ host, port: 3478, protocol: "udp", secret, ttl: 14_400 })),
      ...hosts.map((host) => ({ host, port: 443, protocol: "tls", secret, ttl: 14_400 })),
    ]);
  });

  it("retries relaying a client's signal to a dead room node for 1 s instead of LiveKit's 7.5 s", () => {
    // livekit-server reads durations with yaml.v3, which takes Go duration strings.
    expect(config.signal_relay).toEqual({ retry_timeout: "1000ms" });
    const tooShort = { ...liveKitInput("staging"), signalRelay: { retryTimeoutMs: 100 } };
    expect(() => renderLiveKitConfig(tooShort)).toThrow(
      "signalRelay.retryTimeoutMs: expected an integer from 500 to 60000 (milliseconds), got 100",
    );
  });

  it("rejects bad input naming the field and rule, without echoing secrets", () => {
    const short = { ...liveKitInput("staging"), apiSecret: "tooshort" };
    expect(() => renderLiveKitConfig(short)).toThrow(
      "apiSecret: expected a secret of at least 32 characters, got 8",
    );
    expect(() => renderLiveKitConfig(short)).not.toThrow(/tooshort/);
    const range = { ...liveKitInput("staging") };
    range.rtc = { ...range.rtc, udpPortRange: { start: 60_000, end: 50_000 } };
    expect(() => renderLiveKitConfig(range)).toThrow(
      'rtc.udpPortRange: expected start ≤ end, got {"start":60000,"end":50000}',
    );
  });
});

describe("renderEgressConfig", () => {
  it("writes recordings to the Space through storage.s3 with the sgp1 endpoint, never a top-level s3", () => {
    const config = parse(renderEgressConfig(egressInput("production"))) as Record<string, unknown>;
    expect(config.s3).toBeUndefined();
    expect((config.storage as { s3: unknown }).s3).toMatchObject({
      endpoint: "https://sgp1.digitaloceanspaces.com",
      region: "sgp1",
      bucket: "gomeet-production-recordings",
    });
    expect(config.redis).toEqual(parse(renderLiveKitConfig(liveKitInput("production"))).redis);
  });

  it("rejects a bucket name Spaces would refuse", () => {
    const input = egressInput("staging");
    input.recordings = { ...input.recordings, bucket: "Recordings_Bucket" };
    expect(() => renderEgressConfig(input)).toThrow(
      'recordings.bucket: expected 3–63 characters of [a-z0-9-], got "Recordings_Bucket"',
    );
  });
});

describe("renderTurnServerConf", () => {
  it("denies loopback and private peers in production and allows loopback only in the test policy", () => {
    const production = renderTurnServerConf(turnServerInput("production"));
    expect(production).toContain("denied-peer-ip=10.0.0.0-10.255.255.255");
    expect(production).not.toContain("allow-loopback-peers");
    const rig = renderTurnServerConf({ ...turnServerInput("production"), peerPolicy: "loopback-test" });
    expect(rig).toContain("allow-loopback-peers");
    expect(rig).not.toContain("denied-peer-ip");
  });

  it("never renders a prometheus line (Debian's coturn has no exporter)", () => {
    expect(renderTurnServerConf(turnServerInput("production"))).not.toMatch(/prometheus/);
  });
});

describe("renderTurnCloudInit", () => {
  it("refuses a 443 redirect to a port coturn does not listen on", () => {
    const conf = renderTurnServerConf(turnServerInput("staging"));
    const input = { ...turnCloudInitInput("staging", conf), tlsRedirect: { fromPort: 443, toPort: 5350 } };
    expect(() => renderTurnCloudInit(input)).toThrow(
      "tlsRedirect.toPort: expected the tls-listening-port of turnServerConf, got 5350",
    );
  });
});
