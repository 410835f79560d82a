/**
 * Where the build writes, relative to the project: one explicit layout, named once. Everything under
 * these directories is output, owned and replaced by the build.
 */

export const BASE_DIR = 'base';
export const COMPONENTS_DIR = 'components';
export const OVERLAYS_DIR = 'overlays';
export const GENERATED_DIR = 'generated';
/** What a cluster admin applies once per environment: beside the rendered overlays, in generated/. */
export const ARGOCD_DIR = `${GENERATED_DIR}/argocd`;
export const FLUX_DIR = `${GENERATED_DIR}/flux`;
/** Each environment's day-2 runbooks, with its names. */
export const RUNBOOKS_DIR = `${GENERATED_DIR}/runbooks`;

/** What the overlays read: a change anywhere else (scripts, tests) cannot change a render. */
export const RENDERED_DIRS = [BASE_DIR, COMPONENTS_DIR, OVERLAYS_DIR] as const;

/** An environment's overlay directory, relative to the repository root, as Argo CD's `path` reads it. */
export const overlayPath = (environment: string) => `${OVERLAYS_DIR}/${environment}`;

/** An environment's fully rendered YAML, for review. */
export const generatedFile = (environment: string) => `${GENERATED_DIR}/${environment}.yaml`;
