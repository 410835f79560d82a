/** Names, ports and roles of the optional features' objects (tls, monitoring, backup, pitr): beside names.ts, the base's. */

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
  /** A suspended CronJob: `kubectl create job --from` starts a pod to restore from (docs/backups-and-restore.md#restoring-a-backup). */
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
