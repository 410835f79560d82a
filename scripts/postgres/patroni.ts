import type { ParameterValue, Settings } from '../config/environment.ts';
import {
  PATRONI_LABELS,
  PATRONI_ROLE_LABEL,
  PATRONI_SCOPE_LABEL,
  PRIMARY_ROLE,
  REPLICA_ROLE,
} from '../vocabulary/labels.ts';
import { names, PATRONI_PORT, PATRONI_SCOPE, POSTGRES_PORT, REPLICATION_ROLE } from '../vocabulary/names.ts';
import { commentedYaml } from '../output/yaml.ts';
import { catalogEntry } from './catalog.ts';
import { paths, TLS_DIR, patroniPaths } from '../vocabulary/paths.ts';

/**
 * Parameters Patroni keeps in its store once the cluster exists: it writes them after the
 * included custom configuration, with its own defaults when the store lacks them, and a member's
 * local value has no effect. So every one of them goes into the dynamic configuration, with the
 * value the environment means (its own, else PostgreSQL's default, never Patroni's).
 */
export const DCS_PARAMETERS = [
  'max_connections',
  'max_locks_per_transaction',
  'max_worker_processes',
  'max_prepared_transactions',
  'wal_level',
  'track_commit_timestamp',
  'max_wal_senders',
  'max_replication_slots',
  'wal_keep_size',
  'wal_log_hints',
] as const;

/** A parameter as Patroni's YAML takes it: booleans as on/off, a catalog default with its unit. */
function dcsValue(name: string, configured: ParameterValue | undefined): string | number {
  if (configured !== undefined) return typeof configured === 'boolean' ? (configured ? 'on' : 'off') : configured;
  const entry = catalogEntry(name)!;
  if (entry.vartype === 'integer' && !entry.unit) return Number(entry.boot_val);
  return entry.unit ? `${entry.boot_val}${entry.unit}` : String(entry.boot_val);
}

/**
 * Patroni's dynamic configuration: `bootstrap.dcs` of patroni.yml, which applies when the cluster
 * is initialised, and dcs.yml, which the config Job applies to a running cluster after each sync
 * (`patronictl edit-config --apply`), so git stays the source of truth for these settings too.
 */
export function dcsConfig(s: Settings): Record<string, unknown> {
  return {
    ttl: s.patroni.ttl,
    loop_wait: s.patroni.loopWait,
    retry_timeout: s.patroni.retryTimeout,
    maximum_lag_on_failover: s.patroni.maximumLagOnFailover,
    // An API-server outage must not demote a primary that still reaches every member (REST API, port 8008).
    failsafe_mode: true,
    synchronous_mode: s.patroni.synchronousMode,
    // Not strict: with no healthy standby the primary goes on alone rather than stop every write.
    synchronous_mode_strict: false,
    postgresql: {
      // A former primary rejoins by rewinding (wal_log_hints is on), not by a full clone.
      use_pg_rewind: true,
      // Each member gets a slot on the primary: its WAL stays until the standby has it (max_slot_wal_keep_size caps
      // it).
      use_slots: true,
      parameters: Object.fromEntries(DCS_PARAMETERS.map((name) => [name, dcsValue(name, s.postgresql[name])])),
    },
  };
}

/**
 * patroni.yml. What differs per pod (its name, IP, namespace) and the passwords come from the
 * container's environment (scripts/k8s/patroni.ts); everything else is here, so a reviewer sees
 * the whole configuration in the rendered ConfigMap.
 */
export function patroniConfig(s: Settings): Record<string, unknown> {
  return {
    scope: PATRONI_SCOPE,
    restapi: { listen: `0.0.0.0:${PATRONI_PORT}` },
    kubernetes: {
      // ConfigMaps, not Endpoints: the Endpoints API is deprecated from Kubernetes 1.33, and Argo CD 3 excludes it
      // from sync.
      use_endpoints: false,
      // Copied onto every ConfigMap Patroni creates: never Argo CD's tracking label, or a prune deletes the leader
      // lock.
      labels: { ...PATRONI_LABELS },
      scope_label: PATRONI_SCOPE_LABEL,
      role_label: PATRONI_ROLE_LABEL,
      leader_label_value: PRIMARY_ROLE,
      follower_label_value: REPLICA_ROLE,
    },
    bootstrap: {
      dcs: dcsConfig(s),
      initdb: [{ encoding: 'UTF8' }, 'data-checksums'],
      post_bootstrap: patroniPaths.postBootstrap,
    },
    postgresql: {
      listen: `0.0.0.0:${POSTGRES_PORT}`,
      data_dir: paths.pgdata,
      bin_dir: '/usr/local/bin',
      // The bundle's postgresql.conf (with environment.conf): every parameter Patroni does not keep itself.
      custom_conf: `${paths.config}/postgresql.conf`,
      pgpass: patroniPaths.pgpass,
      use_unix_socket: true,
      // A new or re-cloned standby's pg_basebackup asks the primary for a checkpoint; without `fast`
      // it is a spread one (checkpoint_completion_target × checkpoint_timeout, about 4.5 min) and the
      // standby waits that long (measured: bootstrap of prod's standbys stuck > 90 s, test/patroni-*-servers).
      basebackup: [{ checkpoint: 'fast' }],
      // A former primary that cannot be rewound is cloned again rather than left stopped for a person:
      // what it alone had was never acknowledged to a client in synchronous mode.
      remove_data_directory_on_rewind_failure: true,
      remove_data_directory_on_diverged_timelines: true,
      authentication: memberAuthentication(s),
      parameters: {
        unix_socket_directories: paths.socket,
        // The bundle's pg_hba.conf: Patroni leaves the file alone when hba_file names it.
        hba_file: `${paths.config}/pg_hba.conf`,
      },
    },
    // No /dev/watchdog in a restricted pod; failsafe_mode and the leader lock's ttl fence instead.
    watchdog: { mode: 'off' },
  };
}

/**
 * How members connect to each other (streaming, pg_basebackup, pg_rewind): over TLS where the
 * environment serves it (pg_hba.conf admits other hosts with hostssl only), the server checked
 * against the CA. verify-ca, not verify-full: members reach each other by pod IP, which the
 * certificate (the Services' DNS names) does not list; a server without a certificate from the
 * CA is still refused. Usernames and passwords come from the container's environment.
 */
function memberAuthentication(s: Settings): Record<string, Record<string, string>> {
  const tls: Record<string, string> = s.tls.enabled ? { sslmode: 'verify-ca', sslrootcert: `${TLS_DIR}/ca.crt` } : {};
  // pg_rewind connects as the superuser (no rewind role of its own: one password fewer to rotate).
  return { ...(s.tls.enabled ? { superuser: tls } : {}), replication: { username: REPLICATION_ROLE, ...tls } };
}

const HEADER = (what: string) => [
  `${what}, rendered by \`npm run build:overlays\` from scripts/postgres/patroni.ts`,
  `and the environment's \`patroni\` and \`postgresql\` settings. Edit those, not this file.`,
];

export function patroniYaml(s: Settings): string {
  return commentedYaml(
    patroniConfig(s),
    [
      ...HEADER(`Patroni's configuration of the ${names.statefulSet} StatefulSet`),
      'Per pod, from the environment: PATRONI_NAME, PATRONI_KUBERNETES_NAMESPACE, PATRONI_KUBERNETES_POD_IP,',
      'PATRONI_RESTAPI_CONNECT_ADDRESS, PATRONI_POSTGRESQL_CONNECT_ADDRESS and the passwords (never in this file).',
    ],
    {},
    '1.1',
  );
}

export function dcsYaml(s: Settings): string {
  return commentedYaml(
    dcsConfig(s),
    [
      ...HEADER("Patroni's dynamic configuration"),
      `Applied to the running cluster after each sync by the ${names.patroniConfigJob} Job (patronictl edit-config --apply).`,
    ],
    {},
    '1.1',
  );
}
