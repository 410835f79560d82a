import type { Environment } from '../config/environment.ts';
import { application } from '../k8s/argocd.ts';
import { fluxKustomization, fluxNamespace, gitRepository } from '../k8s/flux.ts';
import { ENVIRONMENT_LABEL } from '../vocabulary/labels.ts';
import type { FileTree } from '../output/tree.ts';
import { objectsYaml } from '../output/yaml.ts';
import { targetRevision, type Repository } from '../config/resolve-repository.ts';
import { ARGOCD_DIR, FLUX_DIR, overlayPath } from '../vocabulary/layout.ts';

/**
 * Where a cluster admin finds what to apply once per environment: beside the rendered overlays,
 * in generated/, which the build owns and replaces as a whole.
 */

/** Name of the Application, GitRepository and Kustomization of an environment. */
export const deliveryName = (environment: string) => `postgresql-${environment}`;
export const argocdFile = (environment: string) => `${ARGOCD_DIR}/${deliveryName(environment)}.yaml`;
export const fluxFile = (environment: string) => `${FLUX_DIR}/${deliveryName(environment)}.yaml`;

// No app.kubernetes.io/instance: Argo CD's label tracking owns that label on what it manages.
const labels = (environment: string) => ({
  'app.kubernetes.io/part-of': 'project-template',
  [ENVIRONMENT_LABEL]: environment,
});

function header(lines: readonly string[]): string {
  return `${lines.map((line) => `# ${line}`.trimEnd()).join('\n')}\n`;
}

function argocdYaml(environment: Environment, repository: Repository): string {
  const d = environment.delivery;
  return (
    header([
      `Argo CD Application for the ${environment.name} environment: apply once, with kubectl apply -f ${argocdFile(environment.name)}`,
      `Sync: ${d.automated ? 'automated, with self-heal' : `manual (argocd app sync ${deliveryName(environment.name)})`}; prune: ${d.prune}. docs/delivery.md.`,
      `Rendered from ${environment.source} and scripts/config/repository.ts by \`npm run build:overlays\`.`,
    ]) +
    objectsYaml([
      application({
        name: deliveryName(environment.name),
        labels: labels(environment.name),
        repoURL: repository.url,
        targetRevision: targetRevision(repository.revision),
        path: overlayPath(environment.name),
        namespace: environment.namespace,
        delivery: d,
      }),
    ])
  );
}

function fluxYaml(environment: Environment, repository: Repository): string {
  const d = environment.delivery;
  const props = {
    name: deliveryName(environment.name),
    labels: labels(environment.name),
    url: repository.url,
    revision: repository.revision,
    path: overlayPath(environment.name),
    namespace: environment.namespace,
    delivery: d,
  };
  return (
    header([
      `Flux GitRepository and Kustomization for the ${environment.name} environment: apply once, with kubectl apply -f ${fluxFile(environment.name)}`,
      `Sync: ${d.automated ? 'automated' : `suspended until a person resumes it (flux resume kustomization ${props.name} -n ${d.flux.namespace})`}; prune: ${d.prune}. docs/delivery.md.`,
      `Rendered from ${environment.source} and scripts/config/repository.ts by \`npm run build:overlays\`.`,
    ]) + objectsYaml([fluxNamespace(props), gitRepository(props), fluxKustomization(props)])
  );
}

/** generated/argocd/postgresql-<env>.yaml and generated/flux/postgresql-<env>.yaml of each environment. */
export function deliveryFiles(environments: readonly Environment[], repository: Repository): FileTree {
  return new Map(
    environments.flatMap((environment) => [
      [argocdFile(environment.name), argocdYaml(environment, repository)],
      [fluxFile(environment.name), fluxYaml(environment, repository)],
    ]),
  );
}
