import type { Environment, Settings } from './config/environment.ts';
import { checkedBaseSettings } from './config/resolve.ts';
import { components } from './components/index.ts';
import { baseFiles } from './assembly/base.ts';
import type { KustomizeBinary } from './kustomize/binary.ts';
import { overlayFiles } from './assembly/overlay.ts';
import { objectCount, overlayRenders } from './kustomize/render.ts';
import { noRenderCache, type RenderCache } from './kustomize/render-cache.ts';
import { Timings } from './output/timings.ts';
import { mergeTrees, type FileTree } from './output/tree.ts';
import { schemaProblems } from './verify/schema.ts';
import { repository } from './config/repository.ts';
import { argocdFile, deliveryFiles, fluxFile } from './delivery/manifests.ts';
import { resolveRepository } from './config/resolve-repository.ts';
import { manifestProblems } from './delivery/verify.ts';
import { runbookFiles } from './runbooks/index.ts';
import { runbookFile } from './runbooks/sections.ts';
import { GENERATED_DIR, generatedFile, COMPONENTS_DIR, BASE_DIR, OVERLAYS_DIR } from './vocabulary/layout.ts';

export const overlayDir = (environment: string) => `${OVERLAYS_DIR}/${environment}/`;
/** generated/ files of one environment: its rendered YAML, its Argo CD and Flux manifests, its runbooks. */
const generatedFiles = (environment: string) => [
  generatedFile(environment),
  argocdFile(environment),
  fluxFile(environment),
  runbookFile(environment),
];

/** One environment's share of a build. */
export interface RenderedEnvironment {
  readonly name: string;
  readonly objects: number;
  /** Every file this environment owns: its overlay and its rendered YAML. */
  readonly files: readonly string[];
}

export interface RenderedBundle {
  readonly tree: FileTree;
  /** How many overlays came from the render cache rather than a kustomize run. */
  readonly cachedRenders: number;
  readonly environments: readonly RenderedEnvironment[];
}

/** components/<name>/ of every optional feature, rendered from the shared defaults. */
function componentFiles(base: Settings): FileTree {
  return mergeTrees(
    ...components.map(
      (component) =>
        new Map(
          [...component.files(base)].map(([file, content]) => [`${COMPONENTS_DIR}/${component.name}/${file}`, content]),
        ),
    ),
  );
}

/**
 * environments → kustomize files → `kustomize build` of each overlay → generated/, as a tree in
 * memory. What kustomize must read is written under `staging` (a scratch copy of the project
 * layout); nothing outside it is touched.
 */
export async function renderBundle(
  environments: readonly Environment[],
  kustomize: KustomizeBinary,
  staging: string,
  { timings = new Timings(), cache = noRenderCache }: { timings?: Timings; cache?: RenderCache } = {},
): Promise<RenderedBundle> {
  // Checked before anything is built, like the environments (config/load.ts): rendering takes checked input.
  const base = checkedBaseSettings();
  const repo = resolveRepository(repository);
  const sources = mergeTrees(
    baseFiles(base),
    componentFiles(base),
    ...environments.map((environment) => overlayFiles(environment, base)),
  );
  timings.lap('kustomize files');

  const { builds, reused } = await overlayRenders(
    kustomize,
    sources,
    staging,
    environments.map((environment) => overlayDir(environment.name)),
    cache,
  );
  // Each overlay is verified as soon as it is rendered, while kustomize renders the next ones.
  const verified = builds.map(async (build) => schemaProblems(await build));
  // A failed render is reported once, by Promise.all(builds); its verification's rejection is the same error.
  for (const verification of verified) verification.catch(() => undefined);
  // The delivery manifests and runbooks need only the kustomize files: made and checked while
  // kustomize renders (a core is idle whenever fewer overlays than cores are left), reported after
  // kustomize's own failures. Each manifest must point at one of the overlays.
  const delivery = deliveryFiles(environments, repo);
  const deliveryProblems = await manifestProblems(delivery, environments, sources);
  const runbooks = runbookFiles(environments);
  const rendered = await Promise.all(builds);
  timings.lap('kustomize build');
  const problems = (await Promise.all(verified)).flatMap((found, index) =>
    found.map((problem) => `${environments[index].name}: rendered ${problem}`),
  );
  if (problems.length) throw new Error(`rendered objects fail their schema:\n${problems.join('\n')}`);
  if (deliveryProblems.length) throw new Error(`Argo CD / Flux manifests are invalid:\n${deliveryProblems.join('\n')}`);

  const generated: FileTree = mergeTrees(
    new Map(environments.map((environment, index) => [generatedFile(environment.name), rendered[index]])),
    delivery,
    runbooks,
  );
  timings.lap('verify');
  const tree = mergeTrees(sources, generated);
  return {
    tree,
    cachedRenders: reused,
    environments: environments.map((environment, index) => ({
      name: environment.name,
      objects: objectCount(rendered[index]),
      files: [...tree.keys()].filter(
        (file) => file.startsWith(overlayDir(environment.name)) || generatedFiles(environment.name).includes(file),
      ),
    })),
  };
}

/** The paths a build replaces: everything it renders, or only the named environments' share. */
export function ownedPaths(environments: readonly Environment[], all: boolean): string[] {
  if (all) return [`${BASE_DIR}/`, `${COMPONENTS_DIR}/`, `${OVERLAYS_DIR}/`, `${GENERATED_DIR}/`];
  return [
    `${BASE_DIR}/`,
    `${COMPONENTS_DIR}/`,
    ...environments.flatMap((environment) => [overlayDir(environment.name), ...generatedFiles(environment.name)]),
  ];
}
