import { renderedObjects, type ParsedObject } from '../verify/schema.ts';

/**
 * kustomize's hash suffix: ten characters of hex digits with 0, 1, 3, a, e swapped for g, h, k, m, t
 * (so no vowel makes a word). A generated object whose content changes gets a new suffix.
 */
const HASH_SUFFIX = /-[2456789bcdfghkmt]{10}$/;
const HASHED_KINDS = ['ConfigMap', 'Secret'];

/** An object's name without the hash suffix kustomize gives a generated ConfigMap or Secret. */
export function stableName(object: ParsedObject): string {
  const name = String(object.metadata?.name ?? '');
  return HASHED_KINDS.includes(object.kind) ? name.replace(HASH_SUFFIX, '') : name;
}

/** An object's identity across two renders: a changed ConfigMap or Secret keeps it, though its name changes. */
export function objectKey(object: ParsedObject): string {
  return [object.apiVersion, object.kind, object.metadata?.namespace ?? '', stableName(object)].join('/');
}

/** "Kind/name" for the summary, with "-*" where a hash suffix was. */
function label(object: ParsedObject): string {
  const name = String(object.metadata?.name ?? '');
  return `${object.kind}/${HASHED_KINDS.includes(object.kind) ? name.replace(HASH_SUFFIX, '-*') : name}`;
}

export interface ObjectChanges {
  readonly added: string[];
  readonly removed: string[];
  readonly changed: string[];
}

/** Which objects one render has that the other lacks, and which both have with different content. */
export function objectChanges(before: string, after: string): ObjectChanges {
  const index = (rendered: string) => new Map(renderedObjects(rendered).map((object) => [objectKey(object), object]));
  const [old, now] = [index(before), index(after)];
  const changes: ObjectChanges = { added: [], removed: [], changed: [] };
  for (const [key, object] of now) {
    if (!old.has(key)) changes.added.push(label(object));
    else if (JSON.stringify(old.get(key)) !== JSON.stringify(object)) changes.changed.push(label(object));
  }
  for (const [key, object] of old) if (!now.has(key)) changes.removed.push(label(object));
  return changes;
}

/** "2 changed (ConfigMap/postgresql-config-*, StatefulSet/postgresql), 1 added (…), 0 removed". */
export function changesLine(changes: ObjectChanges): string {
  const part = (count: string[], what: string) =>
    `${count.length} ${what}${count.length ? ` (${count.join(', ')})` : ''}`;
  return [part(changes.changed, 'changed'), part(changes.added, 'added'), part(changes.removed, 'removed')].join(', ');
}
