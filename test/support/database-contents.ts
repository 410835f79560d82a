import type pg from 'pg';

/**
 * Everything a restore must bring back, as plain data to compare: roles and their attributes,
 * memberships, databases and owners, and in each database its schemas, tables (owner and every
 * row), indexes, views, sequences and table grants. Passwords are left out: backups hold none.
 */
export async function databaseContents(
  connect: (database?: string) => Promise<pg.Client>,
): Promise<Record<string, unknown>> {
  const admin = await connect('postgres');
  const contents: Record<string, unknown> = {};
  try {
    contents.roles = (
      await admin.query(`SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication,
      rolconnlimit, rolbypassrls FROM pg_roles WHERE rolname !~ '^pg_' ORDER BY rolname`)
    ).rows;
    contents.memberships = (
      await admin.query(`SELECT r.rolname AS role, m.rolname AS member FROM pg_auth_members a
      JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member ORDER BY 1, 2`)
    ).rows;
    const databases = (
      await admin.query(`SELECT datname, pg_get_userbyid(datdba) AS owner FROM pg_database
      WHERE NOT datistemplate ORDER BY datname`)
    ).rows as { datname: string; owner: string }[];
    contents.databases = databases;
    for (const { datname } of databases) contents[`database ${datname}`] = await oneDatabase(await connect(datname));
  } finally {
    await admin.end();
  }
  return contents;
}

async function oneDatabase(client: pg.Client): Promise<Record<string, unknown>> {
  try {
    const user = `NOT IN ('pg_catalog', 'information_schema') AND {column} !~ '^pg_toast'`;
    const tables = (
      await client.query(`SELECT schemaname, tablename, tableowner FROM pg_tables
      WHERE schemaname ${user.replace('{column}', 'schemaname')} ORDER BY 1, 2`)
    ).rows as { schemaname: string; tablename: string }[];
    const rows: Record<string, unknown[]> = {};
    for (const { schemaname, tablename } of tables) {
      const name = `${client.escapeIdentifier(schemaname)}.${client.escapeIdentifier(tablename)}`;
      rows[`${schemaname}.${tablename}`] = (
        await client.query(`SELECT to_jsonb(t) AS row FROM ${name} t ORDER BY to_jsonb(t)::text`)
      ).rows.map((r) => r.row);
    }
    return {
      schemas: (
        await client.query(`SELECT nspname, pg_get_userbyid(nspowner) AS owner FROM pg_namespace
        WHERE nspname ${user.replace('{column}', 'nspname')} ORDER BY 1`)
      ).rows,
      tables,
      rows,
      indexes: (
        await client.query(`SELECT schemaname, indexname, indexdef FROM pg_indexes
        WHERE schemaname ${user.replace('{column}', 'schemaname')} ORDER BY 1, 2`)
      ).rows,
      views: (
        await client.query(`SELECT schemaname, viewname, viewowner, definition FROM pg_views
        WHERE schemaname ${user.replace('{column}', 'schemaname')} ORDER BY 1, 2`)
      ).rows,
      sequences: (await client.query('SELECT schemaname, sequencename, last_value FROM pg_sequences ORDER BY 1, 2'))
        .rows,
      grants: (
        await client.query(`SELECT grantee, table_schema, table_name, privilege_type FROM information_schema.role_table_grants
        WHERE table_schema ${user.replace('{column}', 'table_schema')} ORDER BY 1, 2, 3, 4`)
      ).rows,
    };
  } finally {
    await client.end();
  }
}
