import type { Service } from 'kubernetes-types/core/v1';
import { metadataLabels, selectorLabels } from './labels.ts';
import { names, POSTGRES_PORT } from './names.ts';

const port = { name: 'postgresql', port: POSTGRES_PORT, targetPort: 'postgresql', protocol: 'TCP' };

/** The pod that receives writes. Until streaming replication exists, only ordinal 0 is the database. */
export const PRIMARY_ORDINAL = 0;

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

/**
 * What applications connect to. Several replicas without replication are independent databases,
 * so this routes to one pod only, never across pods: a client would otherwise see different data
 * on every connection.
 */
export function clientService(version: string): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: names.service, labels: metadataLabels(version) },
    spec: {
      type: 'ClusterIP',
      selector: { ...selectorLabels, 'statefulset.kubernetes.io/pod-name': `${names.statefulSet}-${PRIMARY_ORDINAL}` },
      ports: [port],
    },
  };
}
