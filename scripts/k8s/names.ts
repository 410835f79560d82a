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
  /** The replication scripts (scripts/postgres/sh), hash-suffixed: pods roll when a script changes. */
  replicationScripts: 'postgresql-replication-scripts',
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
