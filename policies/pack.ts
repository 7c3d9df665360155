import { PolicyPack } from "@pulumi/policy";
import { policies } from "./pack-policies.ts";

// The pack itself, loaded by the CommonJS entry (policies/index.cjs) that Pulumi's policy runner require()s.
// `new PolicyPack` serves gRPC and may happen once per process: nothing else may import this module.
new PolicyPack("gomeet-guardrails", { policies });
