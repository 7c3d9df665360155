/**
 * `tsx apps/chat/src/migrate.ts`: applies apps/chat/migrations to every shard in CHAT_SHARD_URLS (the stack's
 * migration Job). Shards are migrated one after another; a failure stops the run with exit code 1 and names
 * the shard, and re-running applies only what is missing.
 */
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { createLogger, errorFields, parseEnv, runMigrations } from "../../shared/src/index.ts";
import { chatEnvSchema } from "./config.ts";
import { openShards } from "./shards.ts";

export const CHAT_MIGRATIONS_DIR = fileURLToPath(new URL("../migrations", import.meta.url));

export async function migrateShards(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const logger = createLogger({ service: "chat-migrate" });
  let close: (() => Promise<void>) | undefined;
  let current = -1;
  try {
    const { CHAT_SHARD_URLS, DATABASE_PREPARE } = parseEnv(
      z.object({
        CHAT_SHARD_URLS: chatEnvSchema.shape.CHAT_SHARD_URLS,
        DATABASE_PREPARE: chatEnvSchema.shape.DATABASE_PREPARE,
      }),
      env,
      { secrets: ["CHAT_SHARD_URLS"] },
    );
    const shards = openShards({
      urls: CHAT_SHARD_URLS,
      max: 1,
      applicationName: "gomeet-chat-migrate",
      prepare: DATABASE_PREPARE,
    });
    close = () => shards.close();
    for (const [index, sql] of shards.all().entries()) {
      current = index;
      const result = await runMigrations(sql, CHAT_MIGRATIONS_DIR);
      for (const m of result.applied) {
        logger.info("migration applied", { shard: index, version: m.version, name: m.name });
      }
      logger.info("shard migrated", {
        shard: index,
        applied: result.applied.length,
        alreadyApplied: result.alreadyApplied,
      });
    }
    logger.info("migrations done", { shards: shards.count });
    return 0;
  } catch (error) {
    logger.error("migrations failed", { ...(current >= 0 ? { shard: current } : {}), ...errorFields(error) });
    return 1;
  } finally {
    await close?.();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = await migrateShards();
}
