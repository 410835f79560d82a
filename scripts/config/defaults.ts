import type { Settings } from './environment.ts';

/**
 * The seed's values.yaml: what every environment shares unless its own file says otherwise.
 * The base/ directory is rendered from exactly these values.
 */
export const defaults: Settings = {
  namespace: 'project-template',
  replicas: 1,
  image: { name: 'postgres', tag: '16-alpine' },
  storage: { size: '10Gi', storageClassName: 'standard' },
  resources: {
    requests: { cpu: '250m', memory: '512Mi' },
    limits: { cpu: '500m', memory: '1Gi' },
  },
  sharedMemorySize: '64Mi',
  postgresql: {
    max_connections: 100,
    shared_buffers: '256MB',
    effective_cache_size: '1GB',
    // Sized so that every connection sorting at once still fits the memory limit (README, "Memory budget").
    work_mem: '2MB',
    // Replication-ready even with one replica: a standby or pg_basebackup can attach later.
    wal_level: 'replica',
    // What streaming replication needs once replicas > 1 (README, "Replication and failover"):
    // standbys that serve reads, pg_rewind for a former primary, a cap on the WAL a slot keeps.
    hot_standby: true,
    // A nightly pg_dump reads from a standby (postgresql-read); without feedback, WAL replay would cancel it.
    hot_standby_feedback: true,
    wal_log_hints: true,
    wal_keep_size: '1GB',
    max_slot_wal_keep_size: '2GB',
    // Audit trail: who connected from where, and which statements were slow.
    log_connections: true,
    log_disconnections: true,
    log_line_prefix: '%m [%p] user=%u db=%d client=%h app=%a ',
    log_min_duration_statement: '1s',
    log_lock_waits: true,
    log_temp_files: '10MB',
    log_checkpoints: true,
    // The image logs to stderr; Kubernetes collects it.
    log_destination: 'stderr',
    logging_collector: false,
    password_encryption: 'scram-sha-256',
  },
  podAntiAffinity: 'none',
  zoneSpread: false,
  database: 'project_template',
  allowedClients: [{ podSelector: {} }],
  replication: { primaryOrdinal: 0 },
  backup: { enabled: false, schedule: '0 2 * * *', retentionDays: 7, storage: { size: '20Gi', storageClassName: 'standard' } },
  pitr: {
    enabled: false,
    repository: { endpoint: '', bucket: '', region: 'us-east-1', path: '/postgresql', uriStyle: 'host', ca: null, verifyTls: true },
    credentials: {
      source: 'external-secrets',
      externalSecrets: { storeRef: { kind: 'ClusterSecretStore', name: 'platform-secrets' }, remoteKey: 'postgresql-pgbackrest', remoteRefs: {}, refreshInterval: '1h' },
    },
    encryption: true,
    // Full on Sunday, differential the other days, at the seed's 02:00 UTC (README, "Backups and restore").
    schedule: { full: '0 2 * * 0', differential: '0 2 * * 1-6' },
    retentionDays: 7,
    tls: { source: 'cert-manager', issuerRef: { kind: 'ClusterIssuer', name: 'platform-ca' } },
  },
  monitoring: { enabled: false, serviceMonitor: false, allowedScrapers: [{ namespaceSelector: {} }] },
  credentials: {
    source: 'external-secrets',
    allowPlaceholder: false,
    revision: 1,
    externalSecrets: { storeRef: { kind: 'ClusterSecretStore', name: 'platform-secrets' }, remoteKey: 'postgresql', remoteRefs: {}, refreshInterval: '1h' },
  },
  delivery: {
    automated: false,
    prune: true,
    argocd: { namespace: 'argocd', project: 'default', server: 'https://kubernetes.default.svc' },
    flux: { namespace: 'flux-system', interval: '5m', retryInterval: '2m', timeout: '20m' },
  },
  acknowledge: [],
};
