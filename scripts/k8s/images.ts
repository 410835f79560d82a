/**
 * An image reference as the pods get it: `name:tag`, or `name:tag@sha256:...` once a digest is
 * pinned. The tag stays for readers; the runtime pulls by the digest, so every node runs the same
 * build whatever the tag points at later (docs/configuration.md#image-digests).
 */
export function imageReference(image: {
  readonly name: string;
  readonly tag: string;
  readonly digest?: string;
}): string {
  return `${image.name}:${image.tag}${image.digest ? `@${image.digest}` : ''}`;
}

/** What kustomize's `images` newTag takes to render `name:tag@digest` (a `digest:` field alone would drop the tag). */
export const tagWithDigest = (tag: string, digest?: string) => (digest ? `${tag}@${digest}` : tag);
