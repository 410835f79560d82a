/**
 * Names of every object the bundle renders, its ports and its roles, in one place: overlays patch
 * by these names, operators type them in `kubectl` commands, and every layer imports them from here.
 */
export const names = {
  statefulSet: 'postgresql',
  container: 'postgresql',
  serviceAccount: 'postgresql',
  networkPolicy: 'postgresql',
  podDisruptionBudget: 'postgresql',
  /** Read-write clients: routes to the primary only. */
  service: 'postgresql',
  /** Read-only clients: every ready instance (when replicas > 1). */
  readService: 'postgresql-read',
  /** Stable per-pod DNS: postgresql-0.postgresql-headless. */
  headlessService: 'postgresql-headless',
  /** postgresql.conf and pg_hba.conf (hash-suffixed by kustomize: pods roll on change). */
  configMap: 'postgresql-config',
  /** DB_HOST, DB_PORT... for applications to `envFrom` (stable name, no hash suffix). */
  connectionConfigMap: 'postgresql-connection',
  /** patroni.yml and dcs.yml of one environment (replicas > 1), from its overlay; hash-suffixed: pods roll on change. */
  patroniConfigMap: 'postgresql-patroni',
  /** The scripts Patroni and its config Job run (post-bootstrap.sh, apply-dcs.sh), from the component. */
  patroniScriptsConfigMap: 'postgresql-patroni-scripts',
  /** What Patroni may do with the Kubernetes API: its leader lock and state ConfigMaps, its pods' labels. */
  patroniRole: 'postgresql-patroni',
  /** Argo CD PostSync / Flux Job applying dcs.yml to the running cluster (patronictl edit-config). */
  patroniConfigJob: 'postgresql-patroni-config',
  /**
   * The server's Secret: database, username and password of the superuser, replication-password,
   * monitoring-password. Read by the database pods and jobs only, never by applications.
   */
  secret: 'postgresql-secret',
  /** What applications read: username and password of the application role (an ordinary role). */
  applicationSecret: 'postgresql-app',
  /** application-role.sh, the init script that creates the application role (hash-suffixed). */
  applicationInitConfigMap: 'postgresql-application-init',
  dataVolumeClaim: 'postgresql-data',
} as const;

export const POSTGRES_PORT = 5432;

/** The role standbys stream WAL with; Patroni creates it at bootstrap, pg_hba.conf admits it for replication only. */
export const REPLICATION_ROLE = 'replicator';

/** Patroni's REST API: health probes, and the members' failsafe checks of each other. */
export const PATRONI_PORT = 8008;

/**
 * Patroni's cluster name. It names the ConfigMaps Patroni creates and owns (never in git):
 * `<scope>-config`, `-leader`, `-sync`, `-failover`; and pods carry it as the `cluster-name` label.
 * Not "postgresql": `postgresql-config` would read like the bundle's own ConfigMap.
 */
export const PATRONI_SCOPE = 'postgresql-ha';

/** pgBackRest's TLS server port (its default), on the sidecar. */
export const PGBACKREST_TLS_PORT = 8432;

/** postgres_exporter's port. */
export const METRICS_PORT = 9187;
/** Created by monitoring-role.sh; holds pg_monitor and nothing else. */
export const MONITORING_ROLE = 'postgres_exporter';

/** Names of the tls feature's objects (scripts/k8s/tls.ts). */
export const tlsNames = {
  certificate: 'postgresql-tls',
  /** cert-manager writes tls.crt, tls.key and ca.crt into it. */
  secret: 'postgresql-tls',
  /** postgresql.conf includes it; the tls component adds it to the ConfigMap. */
  confFile: 'tls.conf',
  volume: 'tls',
  /** The sidecar that reloads PostgreSQL when the certificate is renewed, and its script's ConfigMap. */
  reloadContainer: 'tls-reload',
  reloadConfigMap: 'postgresql-tls-reload',
  reloadScript: 'tls-reload.sh',
  reloadVolume: 'tls-reload',
} as const;

export const monitoringNames = {
  container: 'exporter',
  metricsService: 'postgresql-metrics',
  networkPolicy: 'postgresql-metrics',
  /** monitoring-role.sh (hash-suffixed by kustomize). */
  initConfigMap: 'postgresql-monitoring-init',
  initScript: '30-monitoring-role.sh',
  prometheusRule: 'postgresql',
  serviceMonitor: 'postgresql',
} as const;

/** Names of the backup feature's objects. */
export const backupNames = {
  cronJob: 'postgresql-backup',
  /** A suspended CronJob: `kubectl create job --from` starts a pod to restore from (README). */
  restoreCronJob: 'postgresql-restore',
  claim: 'postgresql-backups',
  networkPolicy: 'postgresql-backup',
  /** backup.sh and restore.sh (hash-suffixed by kustomize). */
  scriptsConfigMap: 'postgresql-backup-scripts',
  container: 'backup',
} as const;

/** Names of the pitr feature's objects. */
export const pitrNames = {
  /** pgbackrest.conf (database pods) and backup.conf (the job), hash-suffixed: pods roll on change. */
  // No name is "postgresql-" plus 10 letters: that reads as a kustomize hash suffix of "postgresql".
  configMap: 'postgresql-pgbackrest-config',
  /** s3-key, s3-key-secret, cipher-pass: written by the credentials source, never committed. */
  secret: 'postgresql-pgbackrest-repository',
  serverTls: 'postgresql-pgbackrest-server-tls',
  clientTls: 'postgresql-pgbackrest-client-tls',
  container: 'pgbackrest',
  serviceAccount: 'postgresql-pgbackrest-backup',
  networkPolicy: 'postgresql-pgbackrest-server',
  fullCronJob: 'postgresql-pgbackrest-full',
  differentialCronJob: 'postgresql-pgbackrest-diff',
  /** The podSelector of the backup jobs' pods, which the NetworkPolicy admits to 8432. */
  jobPodName: 'postgresql-pgbackrest-backup',
} as const;
