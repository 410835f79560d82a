import type { Settings } from './environment.ts';
import { localeParameters } from '../postgres/locale.ts';

/** The official image's LANG: the locale its initdb gives a new database. */
export const DEFAULT_LOCALE = 'en_US.utf8';

/**
 * The seed's values.yaml: what every environment shares unless its own file says otherwise.
 * The base/ directory is rendered from exactly these values.
 */
export const defaults: Settings = {
  namespace: 'project-template',
  replicas: 1,
  image: { name: 'postgres', tag: '16-alpine' },
  storage: { size: '10Gi', storageClassName: 'standard', medium: 'ssd' },
  resources: {
    requests: { cpu: '250m', memory: '512Mi' },
    limits: { cpu: '500m', memory: '1Gi' },
    // The seed's numbers: requests below limits, so the pods are Burstable (docs/tuning.md#resource-class).
    guaranteed: false,
  },
  sharedMemorySize: '64Mi',
  locale: DEFAULT_LOCALE,
  postgresql: {
    // What initdb would have written for the image's locale (scripts/postgres/locale.ts).
    ...localeParameters(DEFAULT_LOCALE),
    max_connections: 100,
    shared_buffers: '256MB',
    // Sized so that every connection sorting at once still fits the memory limit (docs/tuning.md#memory-budget).
    work_mem: '2MB',
    // Replication-ready even with one replica: a standby or pg_basebackup can attach later.
    wal_level: 'replica',
    // What streaming replication needs once replicas > 1 (docs/replication-and-failover.md):
    // standbys that serve reads, pg_rewind for a former primary, a cap on the WAL a slot keeps.
    hot_standby: true,
    // A nightly pg_dump reads from a standby (postgresql-read); without feedback, WAL replay would cancel it.
    hot_standby_feedback: true,
    wal_log_hints: true,
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
  // Not the placeholder superuser's name (app_user): existing databases have that role, as superuser.
  applicationRole: 'app',
  allowedClients: [{ podSelector: {} }],
  // Patroni's own defaults (ttl 30, loop_wait 10, retry_timeout 10): failover in 24-35 s, measured
  // (docs/replication-and-failover.md#what-happens-on-each-failure).
  patroni: { ttl: 30, loopWait: 10, retryTimeout: 10, synchronousMode: true, maximumLagOnFailover: 1048576 },
  backup: {
    enabled: false,
    schedule: '0 2 * * *',
    retentionDays: 7,
    storage: { size: '20Gi', storageClassName: 'standard' },
  },
  pitr: {
    enabled: false,
    repository: {
      endpoint: '',
      bucket: '',
      region: 'us-east-1',
      path: '/postgresql',
      uriStyle: 'host',
      ca: null,
      verifyTls: true,
    },
    credentials: {
      source: 'external-secrets',
      externalSecrets: {
        storeRef: { kind: 'ClusterSecretStore', name: 'platform-secrets' },
        remoteKey: 'postgresql-pgbackrest',
        remoteRefs: {},
        refreshInterval: '1h',
      },
    },
    encryption: true,
    // Full on Sunday, differential the other days, at the seed's 02:00 UTC (docs/backups-and-restore.md).
    schedule: { full: '0 2 * * 0', differential: '0 2 * * 1-6' },
    retentionDays: 7,
    tls: { source: 'cert-manager', issuerRef: { kind: 'ClusterIssuer', name: 'platform-ca' } },
  },
  // Prometheus usually runs in its own namespace; name yours if it is another (docs/monitoring.md).
  monitoring: {
    enabled: false,
    serviceMonitor: false,
    allowedScrapers: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
    labels: {},
  },
  // Every environment serves TLS unless its file says otherwise (dev, by choice).
  tls: {
    enabled: true,
    issuerRef: { kind: 'ClusterIssuer', name: 'platform-ca' },
    existingSecret: false,
    minProtocolVersion: 'TLSv1.2',
  },
  credentials: {
    source: 'external-secrets',
    allowPlaceholder: false,
    revision: 1,
    externalSecrets: {
      storeRef: { kind: 'ClusterSecretStore', name: 'platform-secrets' },
      remoteKey: 'postgresql',
      remoteRefs: {},
      refreshInterval: '1h',
    },
  },
  delivery: {
    automated: false,
    prune: true,
    argocd: { namespace: 'argocd', project: 'default', server: 'https://kubernetes.default.svc' },
    flux: { namespace: 'flux-system', interval: '5m', retryInterval: '2m', timeout: '20m' },
  },
  acknowledge: [],
};
