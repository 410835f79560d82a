import { defineEnvironment } from '../config/environment.ts';

// Production-like at half the size (seed: values-staging.yaml).
export default defineEnvironment({
  name: 'staging',
  replicas: 2,
  storage: { size: '20Gi' },
  resources: {
    requests: { cpu: '500m', memory: '1Gi' },
    limits: { cpu: '1000m', memory: '2Gi' },
  },
  postgresql: {
    max_connections: 200,
    shared_buffers: '512MB',
    effective_cache_size: '2GB',
  },
  credentials: { source: 'external-secrets', externalSecrets: { remoteKey: 'postgresql/staging' } },
  delivery: { automated: true },
});
