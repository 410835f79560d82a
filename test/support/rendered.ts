import fg from 'fast-glob';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { renderedObjects } from '../../scripts/verify/schema.ts';
import { PROJECT_ROOT } from './cli.ts';

/** Names of the environments that have a committed rendered file. */
export function renderedEnvironments(): string[] {
  return fg
    .sync('*.yaml', { cwd: path.join(PROJECT_ROOT, 'generated') })
    .map((file) => file.replace(/\.yaml$/, ''))
    .sort();
}

export function renderedYaml(environment: string): string {
  return readFileSync(path.join(PROJECT_ROOT, 'generated', `${environment}.yaml`), 'utf8');
}

/** The committed generated/<env>.yaml as plain objects. */
export function rendered(environment: string): Record<string, any>[] {
  return renderedObjects(renderedYaml(environment));
}

/** The one object of `kind` whose name is `name` (or starts with `name-` plus a kustomize hash). */
export function find(objects: Record<string, any>[], kind: string, name: string): Record<string, any> {
  const matches = objects.filter(
    (o) => o.kind === kind && (o.metadata.name === name || new RegExp(`^${name}-[a-z0-9]{10}$`).test(o.metadata.name)),
  );
  if (matches.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${matches.length}`);
  return matches[0];
}
