import { defineEnvironment } from '../config/environment.ts';

// Production-like at half the size (seed: values-staging.yaml).
export default defineEnvironment({
  name: 'staging',
  replicas: 2,
  // Patroni manages failover with two members: the project's image (images/postgresql/,
  // docs/replication-and-failover.md).
  image: { name: 'ghcr.io/penguintechinc/postgresql-patroni', tag: '16-alpine-patroni4.0.6' },
  storage: { size: '20Gi' },
  resources: {
    requests: { cpu: '500m', memory: '1Gi' },
    limits: { cpu: '1000m', memory: '2Gi' },
  },
  postgresql: {
    max_connections: 200,
    shared_buffers: '512MB',
    // Streaming replication to the standby (docs/replication-and-failover.md).
    max_wal_senders: 4,
    max_replication_slots: 4,
    max_slot_wal_keep_size: '4GB',
  },
  credentials: { source: 'external-secrets', externalSecrets: { remoteKey: 'postgresql/staging' } },
  delivery: { automated: true },
  // Daily at 02:00 UTC, kept 7 days; metrics scraped by pod annotations (seed: values-staging.yaml).
  backup: { enabled: true, schedule: '0 2 * * *', retentionDays: 7 },
  // Point-in-time recovery: WAL to S3 within a minute, full backup on Sunday, differential the other days,
  // 7 days of recoverability (docs/backups-and-restore.md).
  pitr: {
    enabled: true,
    repository: {
      endpoint: 's3.eu-west-1.amazonaws.com',
      bucket: 'project-template-pgbackrest-staging',
      region: 'eu-west-1',
      path: '/staging',
    },
    credentials: { source: 'external-secrets', externalSecrets: { remoteKey: 'postgresql-pgbackrest/staging' } },
    retentionDays: 7,
  },
  monitoring: { enabled: true },
});
