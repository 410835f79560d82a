import type { Environment } from '../config/environment.ts';
import type { FileTree } from '../output/tree.ts';
import { generatedFile } from '../vocabulary/layout.ts';
import { withAcknowledgements } from './acknowledgements.ts';
import type { Consequence } from './consequence.ts';
import { committedFiles } from './committed.ts';
import { consequencesOfChange } from './consequences.ts';

/** Each environment's committed `generated/<env>.yaml` (committedFiles), by file; undefined for a new environment. */
export type CommittedRenders = Map<string, string | undefined>;

/**
 * The committed `generated/<env>.yaml` of every environment under `committedDir` (committedFiles:
 * HEAD, the merge base in CI, or the disk outside git). A build starts this before kustomize runs,
 * so git reads while kustomize renders; it must finish before the build writes anything.
 */
export async function committedRenders(
  environments: readonly Environment[],
  committedDir: string,
): Promise<CommittedRenders> {
  return (
    await committedFiles(
      committedDir,
      environments.map((environment) => generatedFile(environment.name)),
    )
  ).files;
}

/**
 * Every environment's consequences of a build: its committed render (committedRenders) against the
 * one in `rendered`, with the environment's acknowledgements applied.
 */
export async function consequencesOfBuild(
  environments: readonly Environment[],
  rendered: FileTree,
  committedDir: string,
  committed?: Promise<CommittedRenders>,
): Promise<Consequence[]> {
  const before = await (committed ?? committedRenders(environments, committedDir));
  return environments.flatMap((environment) => {
    const file = generatedFile(environment.name);
    const [old, now] = [before.get(file), rendered.get(file)];
    const found = old !== undefined && now !== undefined ? consequencesOfChange(environment.name, old, now) : [];
    return withAcknowledgements(environment, found);
  });
}
