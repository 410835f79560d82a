import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1';
import { metadataLabels, selectorLabels } from '../vocabulary/labels.ts';
import { names } from '../vocabulary/names.ts';

/**
 * Voluntary disruptions (node drains) take one pod at a time. maxUnavailable 1 fits every replica
 * count: one replica can always be drained (a PDB never blocks it), and with three a drain keeps two,
 * the primary and one standby, or two standbys while the primary's node is drained.
 */
export function podDisruptionBudget(version: string): PodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: names.podDisruptionBudget, labels: metadataLabels(version) },
    spec: {
      maxUnavailable: 1,
      selector: { matchLabels: { ...selectorLabels } },
    },
  };
}
