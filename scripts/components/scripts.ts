import { readFileSync } from 'node:fs';

/**
 * A shell script of the bundle, from scripts/postgres/sh/: kept there as a real file (linted,
 * run by the tests) and copied by the build into the component that ships it in a ConfigMap.
 */
export function bundleScript(name: string): string {
  return readFileSync(new URL(`../postgres/sh/${name}`, import.meta.url), 'utf8');
}
