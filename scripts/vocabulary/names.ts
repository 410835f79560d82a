/**
 * Names of every object the bundle renders, in one place: overlays patch by these names,
 * and operators type them in `kubectl` commands.
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
