/**
 * pgBackRest wired into the Patroni test cluster (patroni-cluster.ts), as the pods have it: each
 * member's PostgreSQL archives with the rendered archive_command, which reads the rendered
 * pgbackrest.conf (the lab's copy, for this machine's endpoint, CA and paths) and the rendered
 * PGBACKREST_* variables with the lab's Secret values. In the pod the file is at pgBackRest's default
 * path; here PGBACKREST_CONFIG points at the copy (the only variable the test adds).
 * And the restore runbook's custom bootstrap, written into a fresh cluster's patroni.yml.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import YAML from 'yaml';
import type { Member, PatroniCluster } from './patroni-cluster.ts';
import { PGBACKREST, run, type CommandResult, type PitrLab } from './pitr-lab.ts';
import { waitFor } from './processes.ts';

type Containers = { database: Record<string, any>; sidecar: Record<string, any> };

/** The member's pgbackrest.conf (`repoPath` instead of the rendered repo1-path, for a restored environment). */
function memberConfigFile(lab: PitrLab, member: Member, repoPath?: string): string {
  const file = lab.podConfig(`${member.name}${repoPath ? '-restored' : ''}.conf`, {
    pgdata: member.dataDir,
    socketDir: member.socketDir,
    port: member.ports.postgresql,
  });
  if (repoPath) {
    const text = readFileSync(file, 'utf8');
    if (!/^repo1-path=/m.test(text)) throw new Error('the rendered pgbackrest.conf has no repo1-path');
    writeFileSync(file, text.replace(/^repo1-path=.*$/m, `repo1-path=${repoPath}`));
  }
  return file;
}

/**
 * A `prepare` for patroniCluster(): every member archives through pgBackRest into the lab's bucket
 * (under `repoPath` when given: a restored environment has its own path).
 */
export function archivingMembers(lab: PitrLab, containers: Containers, repoPath?: string) {
  return async (members: readonly Member[]) => {
    for (const member of members)
      Object.assign(member.env, lab.env(containers.database, memberConfigFile(lab, member, repoPath)));
  };
}

/**
 * The README's restore procedure: bootstrap.method pgbackrest with `command` (Patroni < 3.2 passes no
 * extra keys, so the target is in the command string). Written into each member's patroni.yml: the
 * rendered file with this one section added, as the restored environment's overlay would render it.
 */
export function customBootstrap(command: string, extra: Record<string, unknown> = {}) {
  return async (members: readonly Member[]) => {
    for (const member of members) {
      const document = YAML.parseDocument(readFileSync(member.configFile, 'utf8'), { version: '1.1' });
      document.setIn(['bootstrap', 'method'], 'pgbackrest');
      document.setIn(['bootstrap', 'pgbackrest'], document.createNode({ command, no_params: true, ...extra }));
      writeFileSync(member.configFile, document.toString());
    }
  };
}

/** The sidecar's variables for `ordinal` (it has the database password): what an operator's `pgbackrest check` runs with. */
export function sidecarEnv(
  lab: PitrLab,
  containers: Containers,
  cluster: PatroniCluster,
  ordinal: number,
): Record<string, string> {
  // The Secret the pods read: the cluster's own credentials, made when the cluster was.
  lab.secrets['postgresql-secret/username'] = cluster.credentials.user;
  lab.secrets['postgresql-secret/password'] = cluster.credentials.password;
  return lab.env(containers.sidecar, memberConfigFile(lab, cluster.members[ordinal]));
}

export const pgbackrest = (
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs?: number,
): Promise<CommandResult> => run(PGBACKREST, args, env, timeoutMs);

export interface Archiver {
  readonly archived: number;
  readonly failed: number;
  readonly lastArchived: string | null;
  readonly lastFailed: string | null;
}

/** pg_stat_archiver of a member, as postgres_exporter reads it. */
export async function archiver(cluster: PatroniCluster, ordinal: number): Promise<Archiver> {
  const [row] = await cluster.query(
    ordinal,
    'SELECT archived_count, failed_count, last_archived_wal, last_failed_wal FROM pg_stat_archiver',
  );
  return {
    archived: Number(row.archived_count),
    failed: Number(row.failed_count),
    lastArchived: row.last_archived_wal,
    lastFailed: row.last_failed_wal,
  };
}

/** Switches the member's WAL and waits until pg_stat_archiver reports that segment archived. */
export async function switchAndArchive(cluster: PatroniCluster, ordinal: number, timeoutMs = 60_000): Promise<string> {
  const [{ segment }] = await cluster.query(ordinal, 'SELECT pg_walfile_name(pg_switch_wal()) AS segment');
  let last: Archiver | undefined;
  await waitFor(`${segment} archived by postgresql-${ordinal}`, timeoutMs, async () => {
    last = await archiver(cluster, ordinal);
    // Segment names sort by timeline, then position; a .history or .partial name sorts before the segment.
    return last.lastArchived !== null && last.lastArchived >= segment;
  }).catch((error) => {
    throw new Error(`${error.message}; pg_stat_archiver: ${JSON.stringify(last)}`);
  });
  return segment;
}

/** The UTC time now on the member, as pgBackRest's --target takes it; commits on either side are a second away. */
export async function targetTime(cluster: PatroniCluster, ordinal: number): Promise<string> {
  await new Promise((wake) => setTimeout(wake, 1_100));
  const [{ t }] = await cluster.query(
    ordinal,
    `SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' AS t`,
  );
  await new Promise((wake) => setTimeout(wake, 1_100));
  return t;
}
