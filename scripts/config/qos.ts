import type { Environment } from './environment.ts';
import { quantityValue } from './quantity.ts';

/**
 * The build's warning for an environment whose database pods are Burstable: under node memory
 * pressure the kubelet evicts Burstable pods using more than their request before any Guaranteed
 * one, and the database's memory budget is sized to the limit, not the request.
 */
export function burstableWarning(e: Environment): string | undefined {
  if (e.resources.guaranteed) return undefined;
  const below = (['cpu', 'memory'] as const).filter(
    (kind) => quantityValue(e.resources.requests[kind])! < quantityValue(e.resources.limits[kind])!,
  );
  if (!below.includes('memory')) return undefined;
  const { requests: r, limits: l } = e.resources;
  return (
    `${e.name}: Burstable pods (requests ${r.cpu}/${r.memory} below limits ${l.cpu}/${l.memory}): under node memory pressure the primary ` +
    'is among the first pods evicted, while its memory budget is sized to the limit. Set resources: { guaranteed: true } in its file ' +
    'for the Guaranteed class (requests = limits) (docs/tuning.md#resource-class).'
  );
}
