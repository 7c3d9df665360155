import { parseArgs } from "node:util";
import { MONITORING_ROLE, monitoringRoleGrants } from "../components/data/monitoring-role.ts";
import type { PlanGraph } from "../infra/plan/engine.ts";
import { planStack } from "../infra/plan/plan.ts";
import { listStacks, StackFileError } from "../infra/plan/stack-file.ts";

/**
 * Prints the SQL that gives a stack's PostgreSQL monitoring user what postgres-exporter reads (`pg_monitor`,
 * read-only sessions, CONNECT on the service databases), for the admin user `doadmin` to run
 * (docs/runbooks/deploy.md "PostgreSQL monitoring grants"). The databases are read from the stack's own plan, so
 * a stack with more chat shards gets every shard. Only SQL goes to stdout; progress goes to stderr.
 *
 *   npx tsx scripts/postgres-monitoring-grants.ts --stack production > grants.sql
 */

const DATABASE_DB = "digitalocean:index/databaseDb:DatabaseDb";
const DATABASE_CLUSTER = "digitalocean:index/databaseCluster:DatabaseCluster";

export interface MonitoringGrantsScript {
  cluster: string;
  databases: string[];
  sql: string;
}

/** The PostgreSQL cluster's name and its service databases (sorted: plan order varies), and the script for them. */
export function monitoringGrantsFromPlan(graph: PlanGraph): MonitoringGrantsScript {
  const cluster = graph.resources.find((r) => r.type === DATABASE_CLUSTER && r.inputs.engine === "pg");
  if (!cluster) throw new Error("the plan has no PostgreSQL cluster (DatabaseCluster with engine pg)");
  const databases = graph.resources
    .filter((r) => r.type === DATABASE_DB && r.dependencies.includes(cluster.urn))
    .map((r) => String(r.inputs.name))
    .sort();
  if (databases.length === 0)
    throw new Error(`the plan has no database on cluster ${String(cluster.inputs.name)}`);
  const statements = monitoringRoleGrants(databases);
  const sql = [
    `-- ${MONITORING_ROLE} grants for PostgreSQL cluster ${String(cluster.inputs.name)}; run as doadmin, on defaultdb.`,
    "-- Idempotent: run again after a database (a chat shard) is added.",
    ...statements.map((s) => `${s};`),
    "",
  ].join("\n");
  return { cluster: String(cluster.inputs.name), databases, sql };
}

async function main(): Promise<number> {
  let stack: string | undefined;
  try {
    ({
      values: { stack },
    } = parseArgs({ options: { stack: { type: "string" } }, strict: true }));
  } catch (error) {
    process.stderr.write(
      `${(error as Error).message}\nusage: npx tsx scripts/postgres-monitoring-grants.ts --stack <name>\n`,
    );
    return 2;
  }
  if (!stack) {
    process.stderr.write(
      `--stack: required, one of ${listStacks(process.cwd()).join(", ")}\nusage: npx tsx scripts/postgres-monitoring-grants.ts --stack <name>\n`,
    );
    return 2;
  }
  process.stderr.write(`postgres-monitoring-grants: planning stack ${stack} offline…\n`);
  try {
    const script = monitoringGrantsFromPlan(await planStack(stack, process.cwd()));
    process.stderr.write(
      `postgres-monitoring-grants: cluster ${script.cluster}, databases ${script.databases.join(", ")}\n`,
    );
    process.stdout.write(script.sql);
    return 0;
  } catch (error) {
    if (error instanceof StackFileError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main();
}
