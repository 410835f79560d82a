/** One leaf that differs between two objects: its path and both values (undefined where absent). */
export interface FieldChange {
  readonly path: string;
  readonly before: unknown;
  readonly after: unknown;
}

/** Every leaf of a JSON value by path; list items that have a name are addressed by it, as kubectl shows them. */
function leaves(value: unknown, path: string, into = new Map<string, unknown>()): Map<string, unknown> {
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries())
      leaves(item, `${path}[${item?.name ?? item?.metadata?.name ?? index}]`, into);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) leaves(item, path ? `${path}.${key}` : key, into);
  } else {
    into.set(path, value);
  }
  return into;
}

/** The leaves that differ between `before` and `after`, in the order they appear. */
export function fieldChanges(before: unknown, after: unknown, path = ''): FieldChange[] {
  const [old, now] = [leaves(before, path), leaves(after, path)];
  const paths = [...new Set([...old.keys(), ...now.keys()])];
  return paths
    .filter((key) => old.get(key) !== now.get(key))
    .map((key) => ({ path: key, before: old.get(key), after: now.get(key) }));
}
