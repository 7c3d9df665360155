import { PolicyPack } from "@pulumi/policy";
import { policies } from "./pack-policies.ts";

// The pack entry: `pulumi preview --policy-pack policies`. Nothing else may import this module.
new PolicyPack("gomeet-guardrails", { policies });
