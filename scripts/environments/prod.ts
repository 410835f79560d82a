import { defineEnvironment } from '../config/environment.ts';

// Full size, pods spread across nodes and zones (seed: values-prod.yaml).
export default defineEnvironment({
  name: 'prod',
  replicas: 3,
  // Patroni manages failover: the project's image, built from images/postgresql/ (docs/replication-and-failover.md).
  image: { name: 'ghcr.io/penguintechinc/postgresql-patroni', tag: '16-alpine-patroni4.0.6' },
  storage: { size: '100Gi' },
  resources: {
    requests: { cpu: '1000m', memory: '2Gi' },
    limits: { cpu: '2000m', memory: '4Gi' },
  },
  postgresql: {
    max_connections: 300,
    shared_buffers: '1GB',
    work_mem: '4MB',
    max_wal_senders: 5,
    max_worker_processes: 4,
    // Streaming replication to the two standbys (docs/replication-and-failover.md).
    max_replication_slots: 5,
    max_slot_wal_keep_size: '20GB',
  },
  podAntiAffinity: 'preferred',
  zoneSpread: true,
  credentials: { source: 'external-secrets', externalSecrets: { remoteKey: 'postgresql/prod' } },
  // A person starts each sync of the production database (docs/delivery.md).
  delivery: { automated: false },
  // Daily at 02:00 UTC, kept 30 days; a ServiceMonitor for prometheus-operator (seed: values-prod.yaml).
  backup: { enabled: true, schedule: '0 2 * * *', retentionDays: 30 },
  // Point-in-time recovery: WAL to S3 within a minute, full backup on Sunday, differential the other days,
  // 30 days of recoverability (docs/backups-and-restore.md).
  pitr: {
    enabled: true,
    repository: {
      endpoint: 's3.eu-west-1.amazonaws.com',
      bucket: 'project-template-pgbackrest-prod',
      region: 'eu-west-1',
      path: '/prod',
    },
    credentials: { source: 'external-secrets', externalSecrets: { remoteKey: 'postgresql-pgbackrest/prod' } },
    retentionDays: 30,
  },
  monitoring: { enabled: true, serviceMonitor: true },
});
