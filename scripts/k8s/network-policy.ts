import type { NetworkPolicy, NetworkPolicyPeer } from 'kubernetes-types/networking/v1';
import { metadataLabels, selectorLabels } from '../vocabulary/labels.ts';
import { names, POSTGRES_PORT } from '../vocabulary/names.ts';

/**
 * Only the selected clients reach port 5432; with the default `{ podSelector: {} }` that is every
 * pod of the same namespace. The database's own pods are always admitted, whatever the clients are,
 * so replication and maintenance between them keep working.
 */
export function networkPolicy(version: string, allowedClients: readonly NetworkPolicyPeer[]): NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: names.networkPolicy, labels: metadataLabels(version) },
    spec: {
      podSelector: { matchLabels: { ...selectorLabels } },
      policyTypes: ['Ingress'],
      ingress: [
        { from: [...allowedClients], ports: [{ protocol: 'TCP', port: POSTGRES_PORT }] },
        {
          from: [{ podSelector: { matchLabels: { ...selectorLabels } } }],
          ports: [{ protocol: 'TCP', port: POSTGRES_PORT }],
        },
      ],
    },
  };
}
