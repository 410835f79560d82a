import type { Generator, PatchEntry } from '../kustomize/kustomization.ts';
import { commentedYaml } from '../output/yaml.ts';

/**
 * A kustomize Component's kustomization.yaml, with the same v4.5.4/v5-safe fields as overlays.
 * Its transformers (namespace here) apply to everything accumulated when an overlay lists it,
 * which is why component objects carry their own labels instead of a `labels:` entry.
 */
export interface ComponentKustomization {
  apiVersion: 'kustomize.config.k8s.io/v1alpha1';
  kind: 'Component';
  /** Gives generated objects and resources a namespace; an overlay's own `namespace:` still wins. */
  namespace?: string;
  resources?: string[];
  configMapGenerator?: Generator[];
  patches?: PatchEntry[];
}

/** kustomization.yaml of components/<name>/, with a header and a comment per list item. */
export function componentKustomizationYaml(
  kustomization: Omit<ComponentKustomization, 'apiVersion' | 'kind'>,
  header: readonly string[],
  comments: Readonly<Record<string, readonly (string | undefined)[]>> = {},
): string {
  const full: ComponentKustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1alpha1',
    kind: 'Component',
    ...kustomization,
  };
  return commentedYaml(
    full as unknown as Record<string, unknown>,
    [...header, 'Rendered by `npm run build:overlays`: edit the TypeScript, not this file.'],
    comments,
  );
}
