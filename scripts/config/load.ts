import fg from 'fast-glob';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Environment, EnvironmentConfig } from './environment.ts';
import { ConfigError } from './errors.ts';
import { resolveEnvironment } from './resolve.ts';
import { withSealedSecrets } from './sealed-secret.ts';

/** Imports a module by its absolute path: node's own import under tsx, a compiled copy under scripts/compiled.mjs. */
export type ModuleImporter = (file: string) => Promise<Record<string, unknown>>;

const importFile: ModuleImporter = (file) => import(pathToFileURL(file).href);

/**
 * Imports and validates every environment file (`<name>.ts`) in `dir`, sorted by name.
 * Collects the problems of all files before throwing, so one run shows everything to fix.
 */
export async function loadEnvironments(
  dir: string,
  projectRoot: string,
  importModule: ModuleImporter = importFile,
): Promise<Environment[]> {
  const files = (await fg('*.ts', { cwd: dir, onlyFiles: true })).sort();
  const problems: string[] = [];
  const environments: Environment[] = [];
  for (const file of files) {
    // Relative to the project, so comments naming the source are the same on every machine.
    const source = path.relative(projectRoot, path.join(dir, file)).split(path.sep).join('/');
    let module: { default?: EnvironmentConfig };
    try {
      module = (await importModule(path.join(dir, file))) as { default?: EnvironmentConfig };
    } catch (error) {
      // The file's own code failed (an unset variable, a syntax error): name it, and go on with the others.
      problems.push(
        `${path.basename(file, '.ts')} (${source}): the environment file failed to load: ${(error as Error).message ?? error}`,
      );
      continue;
    }
    try {
      // Every file the environment names is read and checked here, before anything is rendered.
      environments.push(
        withSealedSecrets(resolveEnvironment(module.default as EnvironmentConfig, source), projectRoot),
      );
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
  }
  const seen = new Map<string, string>();
  for (const environment of environments) {
    const first = seen.get(environment.name);
    if (first)
      problems.push(
        `${environment.name}: name: duplicate environment, defined in both ${first} and ${environment.source}; names must be unique`,
      );
    seen.set(environment.name, environment.source);
  }
  if (files.length === 0)
    problems.push(
      `${path.relative(projectRoot, dir) || '.'}: no environment files found; add one <name>.ts per environment`,
    );
  if (problems.length) throw new ConfigError(problems);
  return environments.sort((a, b) => a.name.localeCompare(b.name));
}

/** The environments named on the command line (all when none is named), or an error naming the unknown ones. */
export function selectEnvironments(all: Environment[], names: readonly string[]): Environment[] {
  if (names.length === 0) return all;
  const known = all.map((environment) => environment.name);
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length) {
    throw new ConfigError(
      unknown.map((name) => `${name}: unknown environment on the command line; allowed: ${known.join(', ')}`),
    );
  }
  return all.filter((environment) => names.includes(environment.name));
}
