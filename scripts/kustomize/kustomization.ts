/**
 * The subset of kustomize's Kustomization that both v4.5.4 and v5 accept and render identically.
 * Deliberately absent: commonLabels, patchesStrategicMerge, patchesJson6902, vars, bases (deprecated)
 * and sortOptions, labels[].includeTemplates (v5 only).
 */
export interface Kustomization {
  apiVersion: 'kustomize.config.k8s.io/v1beta1';
  kind: 'Kustomization';
  namespace?: string;
  resources: string[];
  components?: string[];
  labels?: { pairs: Record<string, string>; includeSelectors: false }[];
  replicas?: { name: string; count: number }[];
  images?: { name: string; newName?: string; newTag?: string }[];
  configMapGenerator?: Generator[];
  secretGenerator?: Generator[];
  patches?: PatchEntry[];
  openapi?: { path: string };
}

export interface Generator {
  name: string;
  /** Needed for objects generated in an overlay: the base's namespace only reaches the base's objects. */
  namespace?: string;
  behavior?: 'create' | 'merge' | 'replace';
  files?: string[];
  literals?: string[];
  options?: { disableNameSuffixHash?: boolean; labels?: Record<string, string> };
}

export interface PatchTarget {
  group?: string;
  version?: string;
  kind: string;
  name: string;
}

export interface PatchEntry {
  path: string;
  target: PatchTarget;
}

export function emptyKustomization(resources: string[]): Kustomization {
  return { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources };
}
