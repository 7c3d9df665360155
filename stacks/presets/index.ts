import type { Environment, PlatformConfig } from "../schema.ts";
import { ephemeral } from "./ephemeral.ts";
import { production } from "./production.ts";
import { staging } from "./staging.ts";

export const PRESETS: Readonly<Record<Environment, PlatformConfig>> = { production, staging, ephemeral };
