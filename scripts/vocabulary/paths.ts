/** Paths inside the pods: the mounts, files and directories the containers, the files they read and the runbooks agree on. */

/** The database container's. */
export const paths = {
  /** The volume mount; PGDATA is a subdirectory so initdb never sees the volume's lost+found. */
  dataMount: '/var/lib/postgresql/data',
  pgdata: '/var/lib/postgresql/data/pgdata',
  config: '/etc/postgresql',
  socket: '/var/run/postgresql',
} as const;

/** Where the Patroni ConfigMap is mounted, and its files. */
export const patroniPaths = {
  dir: '/etc/patroni',
  config: '/etc/patroni/patroni.yml',
  dcs: '/etc/patroni/dcs.yml',
  postBootstrap: '/etc/patroni/post-bootstrap.sh',
  applyDcs: '/etc/patroni/apply-dcs.sh',
  /** Patroni writes the superuser's and replication role's passwords here for libpq; an emptyDir. */
  pgpass: '/tmp/pgpass',
  /** The official image's directory of first-start scripts: post-bootstrap.sh runs them as its entrypoint would. */
  initdb: '/docker-entrypoint-initdb.d',
} as const;

/** Outside /etc/postgresql: that is a ConfigMap mount, and the Secret's files change on their own schedule. */
export const TLS_DIR = '/etc/postgresql-tls';

/** Where the connection details tell applications to mount the CA (the issuer's ca.crt). */
export const APPLICATION_CA_PATH = '/etc/postgresql-ca/ca.crt';

/** The backup and restore jobs' volumes. */
export const backupPaths = { backups: '/backups', scripts: '/scripts' } as const;
