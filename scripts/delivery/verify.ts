import type { Environment } from '../config/environment.ts';
import type { FileTree } from '../output/tree.ts';
import { type ParsedObject, renderedObjects, schemaProblems } from '../verify/schema.ts';
import { argocdFile, fluxFile } from './manifests.ts';
import { overlayPath } from '../vocabulary/layout.ts';

const find = (objects: ParsedObject[], kind: string) => objects.filter((object) => object.kind === kind);

/**
 * Every way the Argo CD and Flux manifests could fail in a cluster that this build can see: a
 * schema violation, or a path that is not the environment's overlay (which must exist under
 * `sources`, the kustomize files this build rendered), a namespace other than the one the overlay renders into,
 * a Kustomization whose GitRepository is missing.
 */
export async function manifestProblems(
  files: FileTree,
  environments: readonly Environment[],
  sources: FileTree,
): Promise<string[]> {
  const problems: string[] = [];
  for (const environment of environments) {
    const overlay = overlayPath(environment.name);
    const overlayProblem = (where: string, given: unknown) => {
      if (given !== overlay && given !== `./${overlay}`)
        return `${where} is ${JSON.stringify(given)}, not the environment's overlay ${overlay}`;
      if (!sources.has(`${overlay}/kustomization.yaml`))
        return `${where}: ${overlay}/kustomization.yaml does not exist`;
      return undefined;
    };
    for (const file of [argocdFile(environment.name), fluxFile(environment.name)]) {
      const yaml = files.get(file);
      if (yaml === undefined) {
        problems.push(`${file}: not rendered`);
        continue;
      }
      problems.push(...(await schemaProblems(yaml)).map((problem) => `${file}: ${problem}`));
      const objects = renderedObjects(yaml);
      const found: (string | undefined)[] = [];
      for (const app of find(objects, 'Application')) {
        found.push(overlayProblem('spec.source.path', app.spec?.source?.path));
        if (app.spec?.destination?.namespace !== environment.namespace)
          found.push(
            `spec.destination.namespace is ${JSON.stringify(app.spec?.destination?.namespace)}, but the overlay renders into "${environment.namespace}"`,
          );
      }
      for (const kustomization of find(objects, 'Kustomization')) {
        found.push(overlayProblem('spec.path', kustomization.spec?.path));
        const source = kustomization.spec?.sourceRef;
        const repository = find(objects, 'GitRepository').find(
          (r) => r.metadata?.name === source?.name && r.metadata?.namespace === kustomization.metadata?.namespace,
        );
        if (source?.kind !== 'GitRepository' || !repository)
          found.push(`spec.sourceRef ${JSON.stringify(source)} names no GitRepository in this file`);
      }
      if (find(objects, 'Application').length + find(objects, 'Kustomization').length !== 1)
        found.push('must hold exactly one Application or one Kustomization');
      problems.push(
        ...found.filter((problem): problem is string => problem !== undefined).map((problem) => `${file}: ${problem}`),
      );
    }
  }
  return problems;
}
