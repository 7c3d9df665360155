/** `tsx apps/meetings/src/migrate.ts`: applies apps/meetings/migrations to DATABASE_URL (the stack's migration Job). */
import { fileURLToPath } from "node:url";
import { migrateCommand } from "../../shared/src/index.ts";

export const MEETINGS_MIGRATIONS_DIR = fileURLToPath(new URL("../migrations", import.meta.url));

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = await migrateCommand("meetings", MEETINGS_MIGRATIONS_DIR);
}
