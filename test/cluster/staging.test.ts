import { planStack } from "../../infra/plan/plan.ts";
import { describeStackInCluster } from "./stack-in-cluster.ts";

// Pulumi.staging.yaml as the CLI reads it (encrypted values become placeholders, never decrypted).
describeStackInCluster("staging", () => planStack("staging"));
