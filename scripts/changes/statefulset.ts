import { quantityValue } from '../config/quantity.ts';
import { change, consequence, type Consequence } from './consequence.ts';
import { fieldChanges, type FieldChange } from './fields.ts';
import { findStatefulSet, type RenderedObject } from './rendered-objects.ts';

/**
 * The StatefulSet spec fields an update may change (the API server's own list); a change to any
 * other one is refused with "updates to statefulset spec for fields other than ... are forbidden".
 */
const UPDATABLE_FIELDS = [
  'replicas',
  'ordinals',
  'template',
  'updateStrategy',
  'revisionHistoryLimit',
  'persistentVolumeClaimRetentionPolicy',
  'minReadySeconds',
];

const isStorageRequest = (field: FieldChange) =>
  /^spec\.volumeClaimTemplates\[[^\]]+\]\.spec\.resources\.requests\.storage$/.test(field.path);
const bytes = (value: unknown) => (typeof value === 'string' ? quantityValue(value) : undefined);
const isIncrease = (field: FieldChange) => (bytes(field.after) ?? 0) > (bytes(field.before) ?? Infinity);

/** Why the cluster will not do what a changed immutable field says, where it is not obvious. */
function note(field: FieldChange): string {
  if (isStorageRequest(field)) return ' (a volume never shrinks: the existing claims keep their size)';
  if (field.path.endsWith('.storageClassName'))
    return ' (the existing claims keep their StorageClass: only claims made later get this one)';
  return '';
}

/**
 * Kubernetes refuses to change an existing StatefulSet's selector, serviceName, volumeClaimTemplates
 * or podManagementPolicy: the sync fails, and keeps failing, until the StatefulSet is re-created.
 * A larger data volume is the common case, with a runbook of its own.
 */
export function statefulSetConsequences(
  environment: string,
  before: readonly RenderedObject[],
  after: readonly RenderedObject[],
): Consequence[] {
  const [old, now] = [findStatefulSet(before), findStatefulSet(after)];
  if (!old || !now) return [];
  const immutable = (spec: RenderedObject = {}) =>
    Object.fromEntries(Object.entries(spec).filter(([field]) => !UPDATABLE_FIELDS.includes(field)));
  const changed = fieldChanges(immutable(old.spec), immutable(now.spec), 'spec');
  const grown = changed.filter((field) => isStorageRequest(field) && isIncrease(field));
  const others = changed.filter((field) => !grown.includes(field));
  const consequences: Consequence[] = [];
  if (grown.length) {
    const sizes = grown
      .map(
        (field) =>
          `${field.path.replace(/^spec\.volumeClaimTemplates\[([^\]]+)\].*$/, '$1')} ${change(field.before, field.after)}`,
      )
      .join(', ');
    consequences.push(
      consequence(
        environment,
        'storage-resize',
        `data volume ${sizes}: Kubernetes refuses to change an existing StatefulSet's volumeClaimTemplates, ` +
          'so the sync fails until the StatefulSet is re-created, and the existing claims do not grow by themselves. ' +
          'Grow each claim (its StorageClass must allow volume expansion), then re-create the StatefulSet without its pods (--cascade=orphan).',
        'growVolume',
      ),
    );
  }
  if (others.length) {
    const fields = others.map((field) => `${field.path} ${change(field.before, field.after)}${note(field)}`).join('; ');
    consequences.push(
      consequence(
        environment,
        'statefulset-immutable',
        `StatefulSet ${now.metadata.name}: ${fields}. Kubernetes refuses to change this on an existing StatefulSet: ` +
          'every sync fails until it is deleted with --cascade=orphan (pods and volumes stay) and the sync re-creates it.',
        'recreateStatefulSet',
      ),
    );
  }
  return consequences;
}
