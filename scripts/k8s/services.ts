import type { Service } from 'kubernetes-types/core/v1';
import {
  metadataLabels,
  PATRONI_ROLE_LABEL,
  PRIMARY_ROLE,
  REPLICA_ROLE,
  selectorLabels,
} from '../vocabulary/labels.ts';
import { names, POSTGRES_PORT } from '../vocabulary/names.ts';

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
 * What applications connect to for reads and writes: the one pod of a single-replica environment.
 * Under Patroni (replicas > 1) its component replaces the pod name with Patroni's role label
 * ({@link primarySelector}), which follows every failover.
 */
export function clientService(version: string): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: names.service, labels: metadataLabels(version) },
    spec: {
      type: 'ClusterIP',
      selector: { ...selectorLabels, ...podNameSelector(0) },
      ports: [port],
    },
  };
}

/** The selector of the read-write Service under Patroni: whichever pod Patroni labels primary. */
export const primarySelector = (): Record<string, string> => ({
  ...selectorLabels,
  [PATRONI_ROLE_LABEL]: PRIMARY_ROLE,
});

/**
 * Read-only clients (when replicas > 1): the hot standbys only, as Patroni labels them. The primary
 * serves no reads through it: read load never competes with writes, and a report's long query on a
 * standby cannot hold back the primary's vacuum beyond what hot_standby_feedback allows.
 */
export function readService(version: string): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: names.readService, labels: metadataLabels(version) },
    spec: {
      type: 'ClusterIP',
      selector: { ...selectorLabels, [PATRONI_ROLE_LABEL]: REPLICA_ROLE },
      ports: [port],
    },
  };
}
