import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Environment } from '../config/environment.ts';
import type { FileTree } from '../output/tree.ts';
import { generatedFile } from '../pipeline.ts';
import { withAcknowledgements } from './acknowledgements.ts';
import type { Consequence } from './consequence.ts';
import { consequencesOfChange } from './consequences.ts';

/** The committed render of a file, read before the build replaces it; undefined for a new environment. */
async function committed(dir: string, file: string): Promise<string | undefined> {
  try {
    return readFileSync(path.join(dir, file), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Every environment's consequences of a build: its committed `generated/<env>.yaml` under
 * `committedDir` against the one in `rendered`, with the environment's acknowledgements applied.
 */
export async function consequencesOfBuild(environments: readonly Environment[], rendered: FileTree, committedDir: string): Promise<Consequence[]> {
  const each = await Promise.all(environments.map(async (environment) => {
    const file = generatedFile(environment.name);
    const [before, after] = [await committed(committedDir, file), rendered.get(file)];
    const found = before !== undefined && after !== undefined ? consequencesOfChange(environment.name, before, after) : [];
    return withAcknowledgements(environment, found);
  }));
  return each.flat();
}
