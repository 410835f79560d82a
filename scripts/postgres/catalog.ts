import { readFileSync } from 'node:fs';

/** One row of pg_settings, as the PostgreSQL 16 server reports it with its built-in defaults. */
export interface CatalogEntry {
  /** As pg_settings spells it: lowercase except DateStyle, IntervalStyle and TimeZone. */
  readonly name: string;
  readonly vartype: 'bool' | 'integer' | 'real' | 'enum' | 'string';
  /** Base unit of a number without a unit: "B", "kB", "8kB", "MB", "ms", "s", "min"; null when unitless. */
  readonly unit: string | null;
  readonly enumvals: readonly string[] | null;
  /** pg_settings text: integers in base units, reals as C's %g. */
  readonly min_val: string | null;
  readonly max_val: string | null;
  /** When a change takes effect: "postmaster" needs a restart, "internal" can never be set. */
  readonly context: string;
  readonly boot_val: string | null;
}

/** `scripts/postgres/catalog.json`, written by tools/postgres/generate-catalog.ts from a real server. */
export interface Catalog {
  readonly server_version: string;
  readonly parameters: readonly CatalogEntry[];
}

export const CATALOG_FILE = new URL('./catalog.json', import.meta.url);

let loaded: { catalog: Catalog; byName: Map<string, CatalogEntry> } | undefined;

function load(): { catalog: Catalog; byName: Map<string, CatalogEntry> } {
  if (!loaded) {
    const catalog = JSON.parse(readFileSync(CATALOG_FILE, 'utf8')) as Catalog;
    loaded = { catalog, byName: new Map(catalog.parameters.map((entry) => [entry.name.toLowerCase(), entry])) };
  }
  return loaded;
}

export function catalog(): Catalog {
  return load().catalog;
}

/** The entry for a parameter; names match case-insensitively, as PostgreSQL matches them. */
export function catalogEntry(name: string): CatalogEntry | undefined {
  return load().byName.get(name.toLowerCase());
}

/** Every parameter name, lowercased, in catalog order. */
export function catalogNames(): string[] {
  return [...load().byName.keys()];
}
