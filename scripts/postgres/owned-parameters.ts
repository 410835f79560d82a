/**
 * Parameters an environment file may not set, because the bundle sets them or a part of it relies
 * on their value. parameterProblem refuses each with its reason. Imports nothing of the project.
 */

/** Set by the bundle's own files (conf.ts), its mounts and its probes. */
export const BUNDLE_OWNED_PARAMETERS: Readonly<Record<string, string>> = {
  data_directory: 'the StatefulSet mounts the data volume where the image expects PGDATA',
  config_file: 'the bundle decides which postgresql.conf the pod reads',
  hba_file: 'the bundle decides which pg_hba.conf the pod reads',
  ident_file: 'the bundle decides which pg_ident.conf the pod reads',
  listen_addresses:
    "the pod must listen on '*' for its Service; allowedClients (the NetworkPolicy) decides who may connect",
  port: 'the Service, the probes and the clients all use 5432',
  unix_socket_directories: "the image's entrypoint and the probes connect through /var/run/postgresql",
  external_pid_file:
    'the container runtime tracks the server; postmaster.pid in the data directory is the lock that matters',
};

const STANDBY =
  'the replication machinery writes it for each standby when it starts or follows a new primary, overriding a value set here';
const RECOVERY =
  'a recovery target stops the server at a point in time; the restore runbook sets it for one recovery, never for every start';

/**
 * Owned by replication and failover (today scripts/postgres/sh/, soon Patroni): a value set in an
 * environment file would be overridden or, worse, applied on every start. Extend this list when
 * the replication machinery takes over another parameter.
 */
export const REPLICATION_OWNED_PARAMETERS: Readonly<Record<string, string>> = {
  primary_conninfo: STANDBY,
  primary_slot_name: STANDBY,
  restore_command:
    'recovery and standbys fetch WAL the way the bundle configures them; a command here runs on every standby start',
  archive_cleanup_command: STANDBY,
  recovery_end_command: STANDBY,
  recovery_target: RECOVERY,
  recovery_target_action: RECOVERY,
  recovery_target_inclusive: RECOVERY,
  recovery_target_lsn: RECOVERY,
  recovery_target_name: RECOVERY,
  recovery_target_time: RECOVERY,
  recovery_target_timeline: RECOVERY,
  recovery_target_xid: RECOVERY,
  synchronous_standby_names:
    "the replication machinery (Patroni's synchronous_mode) names the synchronous standbys it knows are up: " +
    'a fixed list waits forever for a standby that is down or not yet there, and every commit hangs',
  cluster_name: "the replication machinery names the cluster; it appears in process titles and in Patroni's scope",
};
