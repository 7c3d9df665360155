/**
 * The read-only monitoring role of a PostgreSQL cluster, which postgres-exporter connects as. DigitalOcean
 * creates the user (DatabaseUser, "New users receive minimal permissions by default" — How to Manage PostgreSQL
 * Users and Databases, https://docs.digitalocean.com/products/databases/postgresql/how-to/manage-users-and-databases/);
 * these statements give it what the exporter reads and nothing more: the statistics and settings of
 * `pg_monitor` (PostgreSQL "Predefined Roles", https://www.postgresql.org/docs/current/predefined-roles.html),
 * read-only sessions, and no access to the services' tables.
 */
export const MONITORING_ROLE = "monitoring";

function ident(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) {
    throw new Error(`monitoring role grants: database "${name}" must be a lower-case SQL identifier`);
  }
  return `"${name}"`;
}

/**
 * Idempotent statements run as the cluster's admin user (`doadmin`): once per cluster, and again after a
 * database is added (docs/runbooks/deploy.md). `databases` are the service databases the role may connect to.
 */
export function monitoringRoleGrants(databases: readonly string[], role = MONITORING_ROLE): string[] {
  const r = ident(role);
  return [
    `grant pg_monitor to ${r}`,
    `alter role ${r} set default_transaction_read_only = on`,
    `alter role ${r} connection limit 3`,
    ...databases.map((db) => `grant connect on database ${ident(db)} to ${r}`),
  ];
}
