/**
 * pgBackRest's configuration files, rendered from the `pitr` settings. Secrets never appear here:
 * the S3 key, its secret and the encryption passphrase come from PGBACKREST_* variables (the
 * postgresql-pgbackrest-repository Secret). The paths are the pod's; tests pass their own layout.
 */
import type { PitrSettings } from '../config/pitr.ts';
import { PGBACKREST_TLS_PORT } from '../vocabulary/feature-names.ts';

/** The stanza: one per database cluster, named as Patroni's scope (the StatefulSet). */
export const STANZA = 'postgresql';
/** The backup job's client certificate CN: the only one the TLS server admits. */
export const BACKUP_CLIENT_CN = 'pgbackrest-backup';
/** pgBackRest reads this file when PGBACKREST_CONFIG is unset: restore_command finds it too. */
export const POD_CONFIG_PATH = '/etc/pgbackrest/pgbackrest.conf';

/** Where files are, in the pod or on a test machine. */
export interface PgbackrestLayout {
  readonly pgdata: string;
  readonly socketDir: string;
  readonly port: number;
  /** lock-path, log-path and spool-path go under it: the root filesystem is read-only. */
  readonly workDir: string;
  /** The repository's CA file, when `repository.ca` names one. */
  readonly caFile: string;
  /** The TLS directory holding tls.crt, tls.key and ca.crt (cert-manager's Secret keys). */
  readonly tlsDir: string;
}

export const POD_LAYOUT: PgbackrestLayout = {
  pgdata: '/var/lib/postgresql/data/pgdata',
  socketDir: '/var/run/postgresql',
  port: 5432,
  workDir: '/var/lib/pgbackrest',
  caFile: '/etc/pgbackrest/repository-ca/ca.crt',
  tlsDir: '/etc/pgbackrest/tls',
};

/** What reaches the repository: the same in the database pods and in the backup job. */
function repositoryLines(p: PitrSettings, layout: PgbackrestLayout): string[] {
  const r = p.repository;
  return [
    '# The S3 repository; repo1-s3-key, repo1-s3-key-secret and repo1-cipher-pass come from the environment.',
    'repo1-type=s3',
    `repo1-s3-endpoint=${r.endpoint}`,
    `repo1-s3-bucket=${r.bucket}`,
    `repo1-s3-region=${r.region}`,
    `repo1-s3-uri-style=${r.uriStyle}`,
    `repo1-path=${r.path}`,
    `repo1-storage-verify-tls=${r.verifyTls ? 'y' : 'n'}`,
    ...(r.ca ? [`repo1-storage-ca-file=${layout.caFile}`] : []),
    ...(p.encryption ? ['repo1-cipher-type=aes-256-cbc'] : []),
    `# Keeps every backup and WAL segment that a restore to any time in the last ${p.retentionDays} days needs.`,
    'repo1-retention-full-type=time',
    `repo1-retention-full=${p.retentionDays}`,
    '',
    '# The root filesystem is read-only; logs go to stderr, where Kubernetes collects them.',
    `lock-path=${layout.workDir}/lock`,
    `spool-path=${layout.workDir}/spool`,
    `log-path=${layout.workDir}/log`,
    'log-level-file=off',
    'log-level-console=info',
    'compress-type=zst',
    // With the endpoint unreachable, pgBackRest retries each connection for 4 × io-timeout: at the
    // default 60 s an archive-push hangs 4 minutes before failing (measured); 20 s makes it ~80 s.
    'io-timeout=20',
  ];
}

function localDatabaseLines(layout: PgbackrestLayout): string[] {
  return [`pg1-path=${layout.pgdata}`, `pg1-port=${layout.port}`, `pg1-socket-path=${layout.socketDir}`];
}

/** /etc/pgbackrest/pgbackrest.conf of every database pod: archive-push, archive-get and the TLS server. */
export function podConfig(p: PitrSettings, layout: PgbackrestLayout = POD_LAYOUT): string {
  return [
    '# pgBackRest in the database pods, rendered by `npm run build:overlays`: edit the pitr settings, not this file.',
    '[global]',
    ...repositoryLines(p, layout),
    '',
    "# The sidecar's TLS server: only the backup job's certificate (its CN) may use this stanza.",
    'tls-server-address=*',
    `tls-server-port=${PGBACKREST_TLS_PORT}`,
    `tls-server-cert-file=${layout.tlsDir}/tls.crt`,
    `tls-server-key-file=${layout.tlsDir}/tls.key`,
    `tls-server-ca-file=${layout.tlsDir}/ca.crt`,
    `tls-server-auth=${BACKUP_CLIENT_CN}=${STANZA}`,
    '',
    `[${STANZA}]`,
    ...localDatabaseLines(layout),
    '',
  ].join('\n');
}

/** The members the backup job reaches through the TLS server (pg1..pgN); pgBackRest finds the primary. */
export interface BackupTarget {
  readonly host: string;
  readonly port: number;
  readonly pgdata: string;
  readonly socketDir: string;
  readonly pgPort: number;
}

/** The backup job's configuration: every member as a TLS host, the same repository. */
export function backupJobConfig(
  p: PitrSettings,
  targets: readonly BackupTarget[],
  layout: PgbackrestLayout = POD_LAYOUT,
): string {
  const members = targets.flatMap((t, i) => [
    `pg${i + 1}-host=${t.host}`,
    `pg${i + 1}-host-type=tls`,
    `pg${i + 1}-host-port=${t.port}`,
    `pg${i + 1}-host-cert-file=${layout.tlsDir}/tls.crt`,
    `pg${i + 1}-host-key-file=${layout.tlsDir}/tls.key`,
    `pg${i + 1}-host-ca-file=${layout.tlsDir}/ca.crt`,
    `pg${i + 1}-path=${t.pgdata}`,
    `pg${i + 1}-port=${t.pgPort}`,
    `pg${i + 1}-socket-path=${t.socketDir}`,
  ]);
  return [
    '# pgBackRest in the backup job, rendered by `npm run build:overlays`: edit the pitr settings, not this file.',
    '[global]',
    ...repositoryLines(p, layout),
    '# A checkpoint at once rather than waiting for the next one: the job starts copying right away.',
    'start-fast=y',
    'process-max=2',
    '',
    `[${STANZA}]`,
    ...members,
    '',
  ].join('\n');
}

/** The pods' members, through the headless Service's per-pod names. */
export function podTargets(replicas: number, statefulSet: string, headlessService: string): BackupTarget[] {
  return Array.from({ length: replicas }, (_, i) => ({
    host: `${statefulSet}-${i}.${headlessService}`,
    port: PGBACKREST_TLS_PORT,
    pgdata: POD_LAYOUT.pgdata,
    socketDir: POD_LAYOUT.socketDir,
    pgPort: POD_LAYOUT.port,
  }));
}

/** archive_timeout: an idle server still ships what it wrote within a minute (RPO <= 60 s + push time). */
export const ARCHIVE_TIMEOUT = '60s';

/** The PostgreSQL parameters of an archiving server, from the first boot. */
export function archivingParameters(): Record<string, string> {
  return {
    archive_mode: 'on',
    // %p is relative to PGDATA; the stanza is explicit, the rest comes from the config file and environment.
    archive_command: `pgbackrest --stanza=${STANZA} archive-push %p`,
    archive_timeout: ARCHIVE_TIMEOUT,
  };
}

/** archiving.conf, added to the postgresql-config ConfigMap and included by postgresql.conf. */
export function archivingConf(): string {
  return [
    '# WAL archiving to pgBackRest, set by the pitr component (docs/backups-and-restore.md).',
    ...Object.entries(archivingParameters()).map(([name, value]) => `${name} = '${value}'`),
    '',
  ].join('\n');
}
