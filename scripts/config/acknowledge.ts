import type { Settings } from './environment.ts';

/**
 * Changes the build refuses until the environment file acknowledges them: each needs a person to
 * act in the cluster, or the sync fails or breaks the running database
 * (docs/day-2.md#when-a-change-needs-a-manual-step).
 */
export const ACKNOWLEDGEABLE_CHANGES = [
  'statefulset-immutable',
  'storage-resize',
  'namespace-moved',
  'major-upgrade',
  'credentials',
  'replicas-lowered',
  'patroni-adoption',
] as const;

export type AcknowledgeableChange = (typeof ACKNOWLEDGEABLE_CHANGES)[number];

/** Every problem with the `acknowledge` setting, as [field path, message] pairs. */
export function acknowledgeProblems(s: Settings): [string, string][] {
  const allowed = `allowed: ${ACKNOWLEDGEABLE_CHANGES.join(', ')}`;
  if (!Array.isArray(s.acknowledge))
    return [['acknowledge', `must be a list of the changes to let through, such as ['storage-resize']; ${allowed}`]];
  return s.acknowledge
    .map((change, index): [string, string] | undefined =>
      ACKNOWLEDGEABLE_CHANGES.includes(change)
        ? undefined
        : [`acknowledge[${index}]`, `${JSON.stringify(change)} is not a change the build refuses; ${allowed}`],
    )
    .filter((problem): problem is [string, string] => problem !== undefined);
}
