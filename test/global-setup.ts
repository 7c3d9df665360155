import type { TestProject } from "vitest/node";
import { type PostgresServer, startPostgres } from "./support/postgres.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** Superuser URL of the PostgreSQL server the service tests create their databases on. */
    postgresAdminUrl: string;
  }
}

let server: PostgresServer | undefined;

/**
 * One PostgreSQL server per test run: DATABASE_URL when set (an existing server the tests may create
 * databases on), otherwise a throwaway instance started from the installed binaries and stopped at the end.
 * Starting one takes under a second (initdb --no-sync, fsync off: test/support/postgres.ts); each test file
 * then creates its own database with createTestDatabase().
 */
export async function setup(project: TestProject): Promise<void> {
  if (process.env.DATABASE_URL) {
    project.provide("postgresAdminUrl", process.env.DATABASE_URL);
    return;
  }
  server = await startPostgres();
  project.provide("postgresAdminUrl", server.adminUrl);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}
