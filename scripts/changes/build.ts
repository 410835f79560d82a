import type { Environment } from '../config/environment.ts';
import type { FileTree } from '../output/tree.ts';
import { generatedFile } from '../vocabulary/layout.ts';
import { withAcknowledgements } from './acknowledgements.ts';
import type { Consequence } from './consequence.ts';
import { committedSource } from './committed.ts';
import { consequencesOfChange } from './consequences.ts';

/**
 * Every environment's consequences of a build: its committed `generated/<env>.yaml` under
 * `committedDir` (committedSource: HEAD, the merge base in CI, or the disk outside git) against the
 * one in `rendered`, with the environment's acknowledgements applied.
 */
export async function consequencesOfBuild(environments: readonly Environment[], rendered: FileTree, committedDir: string): Promise<Consequence[]> {
  const source = committedSource(committedDir);
  const each = await Promise.all(environments.map(async (environment) => {
    const file = generatedFile(environment.name);
    const [before, after] = [source.read(file), rendered.get(file)];
    const found = before !== undefined && after !== undefined ? consequencesOfChange(environment.name, before, after) : [];
    return withAcknowledgements(environment, found);
  }));
  return each.flat();
}
