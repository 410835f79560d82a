/**
 * The two configurations the benchmark compares on the same data directory: an environment's, as
 * rendered in generated/<env>.yaml, and PostgreSQL's built-in defaults. Both are files outside the
 * data directory, passed as config_file the way the pod passes its ConfigMap, so initdb's own
 * postgresql.conf (which sets shared_buffers, max_wal_size...) plays no part in either.
 */
import { chownSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { TEST_MACHINE_OVERRIDES } from '../postgres/server.ts';
import { renderedObjects } from '../../scripts/verify/schema.ts';

export type ConfigurationName = 'tuned' | 'default';

export interface BenchConfiguration {
  readonly name: ConfigurationName;
  /** Where the settings come from, for the report. */
  readonly source: string;
  /** startServer's `-c` options: the configuration files. */
  readonly args: readonly string[];
}

/** Settings the report reads back from pg_settings for each configuration. */
export const REPORTED_SETTINGS = [
  'shared_buffers',
  'effective_cache_size',
  'work_mem',
  'maintenance_work_mem',
  'max_connections',
  'wal_level',
  'wal_buffers',
  'wal_log_hints',
  'wal_compression',
  'max_wal_size',
  'min_wal_size',
  'checkpoint_timeout',
  'checkpoint_completion_target',
  'synchronous_commit',
  'fsync',
  'full_page_writes',
  'random_page_cost',
  'effective_io_concurrency',
  'max_worker_processes',
  'max_wal_senders',
  'log_connections',
  'log_checkpoints',
  'huge_pages',
] as const;

/**
 * Settings that differ between two servers for reasons of the machine, not of the configuration:
 * where the files are, and what TEST_MACHINE_OVERRIDES sets.
 */
const MACHINE_SETTINGS = new Set<string>([
  'config_file',
  'hba_file',
  'ident_file',
  ...Object.keys(TEST_MACHINE_OVERRIDES),
]);

/** The files of the postgresql-config ConfigMap in `generatedFile` (postgresql.conf, environment.conf, pg_hba.conf). */
export function renderedConfigFiles(generatedFile: string): { configMap: string; files: Record<string, string> } {
  const objects = renderedObjects(readFileSync(generatedFile, 'utf8'));
  const matches = objects.filter(
    (o) => o.kind === 'ConfigMap' && /^postgresql-config(-[a-z0-9]{10})?$/.test(o.metadata?.name ?? ''),
  );
  if (matches.length !== 1)
    throw new Error(`${generatedFile}: expected one ConfigMap postgresql-config, found ${matches.length}`);
  const files = matches[0].data as Record<string, string>;
  if (!files['postgresql.conf'])
    throw new Error(`${generatedFile}: ConfigMap ${matches[0].metadata.name} has no postgresql.conf`);
  return { configMap: matches[0].metadata.name, files };
}

/**
 * The components' files the tuned side leaves out, and why: they make the deployment work, they are
 * not parameters being tuned, and here they would load only one side.
 * - tls.conf and its hostssl-only pg_hba.conf: with them only the tuned side pays for encryption (and
 *   tls.conf points at the pod's certificate). Both sides log in as initdb's pg_hba.conf says.
 * - archiving.conf: archive_command needs the pod's pgBackRest repository; here every segment would
 *   fail and be retried. Archiving costs in proportion to the WAL written; `npm run bench:pitr`
 *   measures it.
 */
const LEFT_OUT: readonly { readonly files: readonly [string, ...string[]]; readonly why: string }[] = [
  // The first file is the component's own: the others are left out only where it is rendered.
  { files: ['tls.conf', 'pg_hba.conf'], why: 'TLS: a transport, not a tuned parameter' },
  { files: ['archiving.conf'], why: "WAL archiving needs the pod's repository" },
];

/**
 * Writes the rendered files into `dir` (owned by the server account) and points the server at them;
 * `set` (the bench's --set) goes on the command line, which wins over every file.
 */
export function tunedConfiguration(
  generatedFile: string,
  dir: string,
  set: readonly (readonly [string, string])[] = [],
): BenchConfiguration {
  const { configMap, files } = renderedConfigFiles(generatedFile);
  const leftOut = LEFT_OUT.filter((rule) => files[rule.files[0]] !== undefined);
  const left = new Set(leftOut.flatMap((rule) => rule.files));
  for (const [file, content] of Object.entries(files)) if (!left.has(file)) writeOwned(dir, file, content);
  const args = [`config_file=${path.join(dir, 'postgresql.conf')}`];
  if (files['pg_hba.conf'] !== undefined && !left.has('pg_hba.conf'))
    args.push(`hba_file=${path.join(dir, 'pg_hba.conf')}`);
  const assignments = set.map(([name, value]) => `${name}=${value}`);
  args.push(...assignments);
  const without = leftOut.map((rule) => `; without ${rule.files.join(' and ')} (${rule.why})`).join('');
  const over = assignments.length ? `; with ${assignments.join(', ')} (--set)` : '';
  return { name: 'tuned', source: `${path.basename(generatedFile)}, ConfigMap ${configMap}${without}${over}`, args };
}

/**
 * An empty postgresql.conf: every parameter at PostgreSQL's compiled-in default. pg_hba.conf stays
 * the data directory's (initdb's, SCRAM for every host, as the image's entrypoint writes it).
 */
export function defaultConfiguration(dir: string): BenchConfiguration {
  writeOwned(dir, 'postgresql.conf', '# Empty on purpose: PostgreSQL 16 defaults.\n');
  return {
    name: 'default',
    source: 'PostgreSQL 16 built-in defaults (empty postgresql.conf)',
    args: [`config_file=${path.join(dir, 'postgresql.conf')}`],
  };
}

/** Every setting as SHOW prints it ("128MB", "on"), by name. */
export async function readSettings(client: pg.Client): Promise<Record<string, string>> {
  const { rows } = await client.query<{ name: string; value: string }>(
    'SELECT name, current_setting(name) AS value FROM pg_settings ORDER BY name',
  );
  return Object.fromEntries(rows.map((row) => [row.name, row.value]));
}

/** The subset of `settings` the report shows, in REPORTED_SETTINGS' order. */
export function reportedSettings(settings: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(REPORTED_SETTINGS.map((name) => [name, settings[name]]));
}

/** Every setting whose value differs between the two servers, machine-specific ones left out. */
export function settingsThatDiffer(
  tuned: Readonly<Record<string, string>>,
  defaults: Readonly<Record<string, string>>,
): Record<string, { tuned: string; default: string }> {
  const names = [...new Set([...Object.keys(tuned), ...Object.keys(defaults)])].sort();
  return Object.fromEntries(
    names
      .filter((name) => !MACHINE_SETTINGS.has(name) && tuned[name] !== defaults[name])
      .map((name) => [name, { tuned: tuned[name], default: defaults[name] }]),
  );
}

/** Owned like `dir`, so the server account (nobody, under root) can read it. */
function writeOwned(dir: string, file: string, content: string): void {
  const { uid, gid } = statSync(dir);
  writeFileSync(path.join(dir, file), content);
  chownSync(path.join(dir, file), uid, gid);
}
