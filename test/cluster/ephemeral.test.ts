import { ephemeralStackConfig } from "../../infra/ephemeral/stack-file.ts";
import { planInline } from "../../infra/plan/plan.ts";
import { describeStackInCluster } from "./stack-in-cluster.ts";

// The stack `npm run ephemeral -- up alice` writes: the ephemeral preset with its own subdomain, no secrets.
const config = ephemeralStackConfig("alice");
describeStackInCluster("eph-alice", () =>
  planInline({
    stack: "eph-alice",
    environment: "ephemeral",
    overrides: config["gomeet:overrides"] as Record<string, unknown>,
  }),
);
