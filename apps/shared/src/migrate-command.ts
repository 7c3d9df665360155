import { z } from "zod";
import { createDatabase } from "./database.ts";
import { booleanVar, parseEnv, urlVar } from "./env.ts";
import { createLogger, errorFields } from "./logger.ts";
import { runMigrations } from "./migrations.ts";

/**
 * The body of each service's `src/migrate.ts`: reads DATABASE_URL, applies the service's `migrations/`
 * folder and returns the process exit code (0 applied or nothing to do, 1 failed). The stack runs it as a
 * Job before each rollout.
 */
export async function migrateCommand(
  service: string,
  migrationsDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const logger = createLogger({ service: `${service}-migrate` });
  let close: (() => Promise<void>) | undefined;
  try {
    const { DATABASE_URL, DATABASE_PREPARE } = parseEnv(
      z.object({ DATABASE_URL: urlVar(["postgres:", "postgresql:"]), DATABASE_PREPARE: booleanVar(true) }),
      env,
      { secrets: ["DATABASE_URL"] },
    );
    const db = createDatabase({
      url: DATABASE_URL,
      max: 1,
      applicationName: `gomeet-${service}-migrate`,
      prepare: DATABASE_PREPARE,
    });
    close = () => db.close();
    const result = await runMigrations(db.sql, migrationsDir);
    for (const m of result.applied) logger.info("migration applied", { version: m.version, name: m.name });
    logger.info("migrations done", { applied: result.applied.length, alreadyApplied: result.alreadyApplied });
    return 0;
  } catch (error) {
    logger.error("migrations failed", errorFields(error));
    return 1;
  } finally {
    await close?.();
  }
}
