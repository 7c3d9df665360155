import { planStack } from "../../infra/plan/plan.ts";
import { describeStackInCluster } from "./stack-in-cluster.ts";

// Pulumi.production.yaml as the CLI reads it (encrypted values become placeholders, never decrypted).
describeStackInCluster("production", () => planStack("production"));
