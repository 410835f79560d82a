/**
 * Regenerates catalog.json from a real PostgreSQL 16 server with its default configuration:
 *   npx tsx tools/postgres/generate-catalog.ts
 * test/postgres-catalog.test.ts fails whenever the committed file and the server disagree.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { CATALOG_FILE, type Catalog, type CatalogEntry } from '../../scripts/postgres/catalog.ts';
import { withServer } from './server.ts';

/** The catalog as a connected server reports it, in catalog.json's order. */
export async function readCatalog(client: pg.Client): Promise<Catalog> {
  const version = await client.query<{ server_version: string }>('SHOW server_version');
  const rows = await client.query<CatalogEntry>(
    'SELECT name, vartype, unit, enumvals, min_val, max_val, context, boot_val FROM pg_settings',
  );
  const parameters = rows.rows
    // Field by field, so the JSON key order does not depend on the query.
    .map(
      (row): CatalogEntry => ({
        name: row.name,
        vartype: row.vartype,
        unit: row.unit,
        enumvals: row.enumvals,
        min_val: row.min_val,
        max_val: row.max_val,
        context: row.context,
        boot_val: row.boot_val,
      }),
    )
    .sort((a, b) => compare(a.name.toLowerCase(), b.name.toLowerCase()) || compare(a.name, b.name));
  return { server_version: version.rows[0].server_version, parameters };
}

/** catalog.json's exact text: 2-space JSON with a trailing newline. */
export function catalogText(catalog: Catalog): string {
  return `${JSON.stringify(catalog, null, 2)}\n`;
}

/** Boots a throwaway server and reads its catalog. */
export async function catalogFromServer(): Promise<Catalog> {
  return withServer({}, async (server) => {
    const client = await server.connect();
    try {
      return await readCatalog(client);
    } finally {
      await client.end();
    }
  });
}

// Code-unit order, not localeCompare: the file must not depend on the machine's locale.
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function main(): Promise<void> {
  const catalog = await catalogFromServer();
  writeFileSync(CATALOG_FILE, catalogText(catalog));
  console.log(
    `${fileURLToPath(CATALOG_FILE)}: ${catalog.parameters.length} parameters of PostgreSQL ${catalog.server_version}`,
  );
}

// No top-level await: uvu loads this module through tsx's CommonJS hook.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
