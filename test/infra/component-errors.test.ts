import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { SecurityBaseline } from "../../components/baseline/baseline.ts";
import { Egress } from "../../components/media/egress.ts";
import { LiveKit } from "../../components/media/livekit.ts";
import { TurnFleet } from "../../components/media/turn-fleet.ts";
import { recordProgram } from "../../infra/plan/engine.ts";
import { createPlatform } from "../../infra/platform.ts";
import { loadPlatformConfig } from "../../stacks/loader.ts";
import type { PlatformConfig } from "../../stacks/schema.ts";

/**
 * The stack rules refuse these configurations before any component exists; the components check again, and
 * these tests reach them by handing createPlatform a config the loader would have refused.
 */
async function planFailure(change: (config: PlatformConfig) => void): Promise<pulumi.ResourceError> {
  const config = structuredClone(loadPlatformConfig({ environment: "staging", stack: "staging" }));
  change(config);
  const run = recordProgram({
    project: "gomeet",
    stack: "staging",
    config: {},
    secretKeys: [],
    program: () => createPlatform("staging", config, {}),
  });
  const error = await run.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!pulumi.ResourceError.isInstance(error)) {
    throw new Error(`expected the plan to fail with a pulumi.ResourceError, got ${String(error)}`);
  }
  return error;
}

describe("errors inside components name the component (pulumi.ResourceError)", () => {
  it("LiveKit: a renderer failing inside its config apply", async () => {
    const error = await planFailure((config) => {
      config.media.rtcTcpPort = 70_000;
    });
    // The SDK puts the property path it was serializing in front of the message.
    expect(error.message).toContain("rtc.tcpPort: expected an integer port in 1–65535, got 70000");
    expect(error.resource).toBeInstanceOf(LiveKit);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it("Egress: a renderer failing inside its config apply", async () => {
    const error = await planFailure((config) => {
      // The schema allows only sgp1; the loader is bypassed here on purpose.
      Object.assign(config, { region: "Singapore" });
    });
    expect(error.message).toContain(
      'recordings.region: expected a DigitalOcean region slug such as sgp1, got "Singapore"',
    );
    expect(error.resource).toBeInstanceOf(Egress);
  });

  it("SecurityBaseline: a quota that cannot be computed from a service's resources", async () => {
    const error = await planFailure((config) => {
      config.services.auth.memory = "1GB";
    });
    expect(error.message).toBe('expected a Kubernetes memory quantity such as 256Mi, got "1GB"');
    expect(error.resource).toBeInstanceOf(SecurityBaseline);
  });

  it("TurnFleet: more droplets than one Cloud Firewall lists", async () => {
    const error = await planFailure((config) => {
      config.turn.count = 11;
    });
    expect(error.message).toBe("turn.count: expected at most 10 droplets (one Cloud Firewall by id), got 11");
    expect(error.resource).toBeInstanceOf(TurnFleet);
  });
});
