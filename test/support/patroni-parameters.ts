/**
 * Is git still the source of truth for every parameter once Patroni runs the server? Patroni keeps
 * some parameters in its store (max_connections, max_wal_senders, wal_level, ...) and passes them on
 * the command line, where they beat postgresql.conf: the rendered `bootstrap.dcs` must agree with the
 * rendered postgresql-config ConfigMap, or the running server is not what git says.
 */
import { effectiveParameters } from '../../scripts/postgres/effective-parameters.ts';
import { normalizedSetting } from '../../scripts/postgres/parameters.ts';
import type { PatroniCluster } from './patroni-cluster.ts';
import { find, rendered } from './rendered.ts';

/** The same setting in PostgreSQL's own terms (units and spellings normalised); false when either cannot be read. */
function sameSetting(name: string, a: string, b: string): boolean {
  try {
    return normalizedSetting(name, a) === normalizedSetting(name, b);
  } catch {
    return false;
  }
}

/** Set by the test machine (patroni-config.ts): addresses and paths. */
const HARNESS_OWNED = new Set(['listen_addresses', 'port', 'unix_socket_directories']);

/** "name: rendered X, running Y" for every parameter of the rendered files the member runs with another value. */
export async function parameterDifferences(cluster: PatroniCluster, ordinal: number): Promise<string[]> {
  const files = find(rendered(cluster.environment), 'ConfigMap', 'postgresql-config').data as Record<string, string>;
  const inGit = Object.entries(effectiveParameters(files)).filter(([name]) => !HARNESS_OWNED.has(name));
  const rows = await cluster.query<{ name: string; value: string }>(
    ordinal,
    'SELECT name, current_setting(name) AS value FROM unnest($1::text[]) AS name',
    [inGit.map(([name]) => name)],
  );
  const running = new Map(rows.map((row) => [row.name, row.value]));
  // A file on one of the pod's mounts is the same file in the member's mirror of the pod (patroni-config.ts).
  const same = (name: string, value: string, actual: string | undefined) =>
    actual === value ||
    (value.startsWith('/') && actual?.endsWith(`/fs${value}`) === true) ||
    // SHOW writes a number in the unit it finds best ("60s" shows as "1min"): compare in the parameter's base unit.
    (actual !== undefined && sameSetting(name, value, actual));
  return inGit
    .filter(([name, value]) => !same(name, value, running.get(name)))
    .map(([name, value]) => `${name}: rendered ${value}, running ${running.get(name)}`);
}
