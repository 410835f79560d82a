import { defineEnvironment } from '../config/environment.ts';

// Small and cheap: one pod, no backups or monitoring (seed: values-dev.yaml).
export default defineEnvironment({
  name: 'dev',
  replicas: 1,
  storage: { size: '5Gi' },
  resources: {
    requests: { cpu: '100m', memory: '256Mi' },
    limits: { cpu: '250m', memory: '512Mi' },
  },
  postgresql: {
    max_connections: 50,
    shared_buffers: '128MB',
    // 512Mi holds 50 connections only with smaller maintenance memory (docs/tuning.md#memory-budget).
    maintenance_work_mem: '32MB',
  },
  sharedMemorySize: '32Mi',
  // The committed placeholder Secret: fine for a throwaway development cluster, nowhere else.
  credentials: { source: 'generator', allowPlaceholder: true },
  delivery: { automated: true },
  // No TLS by choice: a throwaway cluster without cert-manager; clients connect with sslmode=disable.
  tls: { enabled: false },
});
