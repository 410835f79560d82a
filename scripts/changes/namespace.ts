import { change, consequence, type Consequence } from './consequence.ts';
import { findStatefulSet, type RenderedObject } from './rendered-objects.ts';

/**
 * A StatefulSet in another namespace is another StatefulSet: it starts on new, empty volumes and
 * initialises a new database, while the old one is pruned and its volumes stay behind. Any other
 * comparison across the move would be noise, so this is the only consequence reported for it.
 */
export function namespaceConsequences(
  environment: string,
  before: readonly RenderedObject[],
  after: readonly RenderedObject[],
): Consequence[] {
  const [old, now] = [findStatefulSet(before), findStatefulSet(after)];
  const [from, to] = [old?.metadata?.namespace, now?.metadata?.namespace];
  if (!old || !now || from === to) return [];
  return [
    consequence(
      environment,
      'namespace-moved',
      `namespace ${change(from, to)}: the StatefulSet in ${to} starts on new, empty volumes and initialises an empty database; ` +
        `the one in ${from} is pruned, or left running with delivery.prune off, and its volumes stay with the data. Restore a backup into the new namespace before clients move.`,
      'restoreIntoNewEnvironment',
    ),
  ];
}
