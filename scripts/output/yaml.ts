import { Document, isScalar, isSeq, stringify, type Scalar, type YAMLMap } from 'yaml';

// No anchors/aliases: every value spelled out where it is used, as a reviewer expects.
const OPTIONS = { lineWidth: 0, indentSeq: true, aliasDuplicateObjects: false } as const;

/** One object as YAML, keys in the order the object was built (apiVersion, kind, metadata first). */
export function objectYaml(object: unknown): string {
  return stringify(object, OPTIONS);
}

/** Several objects as one multi-document YAML file. */
export function objectsYaml(objects: readonly unknown[]): string {
  return objects.map(objectYaml).join('---\n');
}

/**
 * A YAML file with a comment block on top and, optionally, a comment above items of a top-level
 * list (by index) or above a top-level key whose value is not a list (its one comment).
 */
export function commentedYaml(
  object: Record<string, unknown>,
  header: readonly string[],
  itemComments: Readonly<Record<string, readonly (string | undefined)[]>> = {},
  /** "1.1" for a file read by a YAML 1.1 parser (PyYAML: Patroni), which takes a plain off or yes for a boolean: such strings get quotes. */
  version: '1.1' | '1.2' = '1.2',
): string {
  const document = new Document(object, { ...OPTIONS, version });
  document.commentBefore = header.map((line) => ` ${line}`).join('\n');
  for (const [key, comments] of Object.entries(itemComments)) {
    const list = document.get(key, true) as { items?: { commentBefore?: string }[] } | undefined;
    if (list && !isSeq(list)) {
      const pair = (document.contents as YAMLMap).items.find((item) => isScalar(item.key) && item.key.value === key);
      if (pair && comments[0]) (pair.key as Scalar).commentBefore = ` ${comments[0]}`;
      continue;
    }
    comments.forEach((comment, index) => {
      const item = list?.items?.[index];
      if (item && comment) item.commentBefore = ` ${comment}`;
    });
  }
  return document.toString(OPTIONS);
}
