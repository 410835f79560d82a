import type { Environment, Settings } from '../config/environment.ts';
import type { Generator } from '../kustomize/kustomization.ts';
import type { Patch } from '../kustomize/patches.ts';
import type { FileTree } from '../output/tree.ts';

/** What a component adds to one environment's overlay beyond listing it. */
export interface ComponentDeltas {
  readonly patches?: readonly Patch[];
  readonly configMapGenerator?: readonly Generator[];
  readonly secretGenerator?: readonly Generator[];
  /** Resources of the overlay itself (files among `files`), with the line above each entry. */
  readonly resources?: readonly { readonly path: string; readonly comment: string }[];
  /** Extra files of the overlay (paths relative to overlays/<env>/), such as a generator's files. */
  readonly files?: FileTree;
}

/**
 * An optional feature as a kustomize Component (components/<name>/, `kind: Component`).
 * Its files are rendered once, from the shared defaults; an environment that enables it lists
 * it under `components:` and adds only its own deltas.
 */
export interface Component {
  /** Directory under components/. */
  readonly name: string;
  /** One line, shown above the entry in each overlay that uses it. */
  readonly description: string;
  enabled(environment: Settings): boolean;
  /** components/<name>/ (paths relative to that directory), kustomization.yaml included. */
  files(defaults: Settings): FileTree;
  /** What differs in this environment from the component's defaults. */
  deltas?(environment: Environment, defaults: Settings): ComponentDeltas;
  /**
   * The environment's objects as this feature changes them, built straight from its settings with
   * no kustomize involved: the overlay-equivalence test proves the overlay renders exactly these.
   */
  applied?(objects: readonly object[], environment: Settings): object[];
}
