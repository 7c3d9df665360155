import type { Redis } from "ioredis";
import { type ReadinessCheck, ReadinessFailure } from "./app.ts";

/** Where the deploy runbook explains what to do when the managed Valkey refuses scripts. */
export const SCRIPTING_RUNBOOK = "docs/runbooks/deploy.md#valkey-lua-scripting";

/** Runs one `redis.call` inside a script: proves scripts may call commands, not only that they load. */
const PROBE_SCRIPT = "return redis.call('TIME')[1]";

/** The scripts `defineCommand` registered on a client (ioredis keeps them by command name). */
function definedScripts(redis: Redis): { name: string; lua: string }[] {
  const set = (redis as unknown as { scriptsSet?: Record<string, { lua?: unknown }> }).scriptsSet ?? {};
  return Object.entries(set)
    .filter((entry): entry is [string, { lua: string }] => typeof entry[1].lua === "string")
    .map(([name, script]) => ({ name, lua: script.lua }));
}

function refused(step: string, error: unknown): ReadinessFailure {
  const reason = error instanceof Error ? error.message : String(error);
  return new ReadinessFailure(
    `Redis refuses Lua scripting (${step}: ${reason}); this service needs EVAL, EVALSHA and SCRIPT LOAD — see ${SCRIPTING_RUNBOOK}`,
  );
}

/**
 * `/readyz` check `lua_scripting`: the server loads every script this client defined (SCRIPT LOAD compiles it)
 * and runs a probe through EVALSHA and EVAL (ioredis falls back to EVAL when a failover emptied the script
 * cache). Managed Valkey offerings may restrict these commands, and then every rate limit, seat and chat
 * fan-out would fail at request time; the check fails first, naming the cause and the runbook step.
 */
export function luaScriptingReadiness(redis: Redis): ReadinessCheck {
  return {
    name: "lua_scripting",
    check: async () => {
      for (const script of definedScripts(redis)) {
        try {
          await redis.script("LOAD", script.lua);
        } catch (error) {
          throw refused(`SCRIPT LOAD of ${script.name}`, error);
        }
      }
      let sha: string;
      try {
        sha = (await redis.script("LOAD", PROBE_SCRIPT)) as string;
      } catch (error) {
        throw refused("SCRIPT LOAD", error);
      }
      try {
        await redis.evalsha(sha, 0);
      } catch (error) {
        throw refused("EVALSHA", error);
      }
      try {
        await redis.eval(PROBE_SCRIPT, 0);
      } catch (error) {
        throw refused("EVAL", error);
      }
    },
  };
}
