import type { Service } from 'kubernetes-types/core/v1';
import { metadataLabels, selectorLabels } from './labels.ts';
import { names, POSTGRES_PORT } from './names.ts';

const port = { name: 'postgresql', port: POSTGRES_PORT, targetPort: 'postgresql', protocol: 'TCP' };

/** Gives each pod a stable DNS name (postgresql-0.postgresql-headless) for peers, even before it is ready. */
export function headlessService(version: string): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: names.headlessService, labels: metadataLabels(version) },
    spec: {
      clusterIP: 'None',
      publishNotReadyAddresses: true,
      selector: { ...selectorLabels },
      ports: [port],
    },
  };
}

/** The label that selects exactly one pod of the StatefulSet. */
export function podNameSelector(ordinal: number): Record<string, string> {
  return { 'statefulset.kubernetes.io/pod-name': `${names.statefulSet}-${ordinal}` };
}

/**
 * What applications connect to for reads and writes: the declared primary only
 * (`replication.primaryOrdinal`). Standbys are read-only; changing the ordinal in git moves this Service.
 */
export function clientService(version: string, primaryOrdinal: number): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: names.service, labels: metadataLabels(version) },
    spec: {
      type: 'ClusterIP',
      selector: { ...selectorLabels, ...podNameSelector(primaryOrdinal) },
      ports: [port],
    },
  };
}

/** Read-only clients (when replicas > 1): every ready instance, the primary and the hot standbys. */
export function readService(version: string): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: names.readService, labels: metadataLabels(version) },
    spec: {
      type: 'ClusterIP',
      selector: { ...selectorLabels },
      ports: [port],
    },
  };
}
