import type { TopologySpreadConstraint } from 'kubernetes-types/core/v1';
import { selectorLabels } from '../vocabulary/labels.ts';

/**
 * Pods spread evenly across zones, so a zone outage leaves a standby to fail over to. ScheduleAnyway:
 * a cluster with fewer zones than replicas (or none labelled) still schedules every pod.
 */
export function zoneSpreadConstraints(enabled: boolean): TopologySpreadConstraint[] | undefined {
  if (!enabled) return undefined;
  return [
    {
      maxSkew: 1,
      topologyKey: 'topology.kubernetes.io/zone',
      whenUnsatisfiable: 'ScheduleAnyway',
      labelSelector: { matchLabels: { ...selectorLabels } },
    },
  ];
}
