import { renderedObjects } from '../verify/schema.ts';
import type { Consequence } from './consequence.ts';
import { credentialsConsequences } from './credentials.ts';
import { imageConsequences } from './image.ts';
import { namespaceConsequences } from './namespace.ts';
import { parameterConsequences } from './parameters.ts';
import { patroniAdoptionConsequences } from './patroni.ts';
import { replicasConsequences } from './replicas.ts';
import { statefulSetConsequences } from './statefulset.ts';

/**
 * What applying `after` over `before` (two renders of one environment) means for the running
 * system. Acknowledgements are not applied: the diff has no environment files to read them from.
 */
export function consequencesOfChange(environment: string, before: string, after: string): Consequence[] {
  // The usual case, and with dozens of environments the one worth not parsing twice.
  if (before === after) return [];
  const [old, now] = [renderedObjects(before), renderedObjects(after)];
  const moved = namespaceConsequences(environment, old, now);
  if (moved.length) return moved;
  return [
    patroniAdoptionConsequences,
    statefulSetConsequences,
    imageConsequences,
    credentialsConsequences,
    parameterConsequences,
    replicasConsequences,
  ].flatMap((consequencesOf) => consequencesOf(environment, old, now));
}
