import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fg from 'fast-glob';
import { PROJECT_ROOT } from './support/cli.ts';

/**
 * The floors of the house, lowest first. A module may import from its own floor or below, never
 * from above; every module of scripts/ and tools/ stands on exactly one floor (the longest
 * matching prefix), so a new folder must be placed here before it can be imported.
 */
export const LAYERS: readonly { readonly name: string; readonly paths: readonly string[] }[] = [
  // Object names, paths, ports, roles, Secret keys, the output layout: imports nothing of the project.
  { name: 'vocabulary', paths: ['scripts/vocabulary/'] },
  // Generic helpers with no knowledge of PostgreSQL or Kubernetes objects.
  { name: 'output', paths: ['scripts/output/'] },
  { name: 'verify', paths: ['scripts/verify/'] },
  // The settings' types and the checks of single fields, which need no PostgreSQL knowledge.
  { name: 'settings', paths: ['scripts/config/'] },
  // PostgreSQL, Patroni and pgBackRest knowledge: the parameter catalog, tuning, the files they read.
  { name: 'postgres', paths: ['scripts/postgres/'] },
  // The checks that need PostgreSQL's catalog, and loading + validating every input.
  {
    name: 'config',
    paths: [
      'scripts/config/resolve.ts',
      'scripts/config/load.ts',
      'scripts/config/defaults.ts',
      'scripts/config/shape.ts',
      'scripts/config/startup.ts',
      'scripts/config/replication.ts',
      'scripts/config/inputs.ts',
    ],
  },
  // The environments are data typed by the settings; config/load.ts reads them by path, not by import.
  { name: 'environments', paths: ['scripts/environments/'] },
  { name: 'k8s', paths: ['scripts/k8s/'] },
  // The kustomization file model, its patches, the kustomize binary and the cached runner.
  { name: 'kustomize', paths: ['scripts/kustomize/'] },
  { name: 'components', paths: ['scripts/components/'] },
  // The base and the overlays, assembled from the components.
  { name: 'assembly', paths: ['scripts/assembly/'] },
  { name: 'delivery', paths: ['scripts/delivery/'] },
  { name: 'runbooks', paths: ['scripts/runbooks/'] },
  { name: 'review', paths: ['scripts/changes/', 'scripts/review/', 'scripts/docs/'] },
  { name: 'pipeline', paths: ['scripts/pipeline.ts'] },
  { name: 'commands', paths: ['scripts/build.ts', 'scripts/diff.ts', 'scripts/compiled.mjs'] },
  // The tests' own helpers, and the harness and benches beside them: never imported by the product.
  { name: 'test support', paths: ['test/'] },
  { name: 'tools', paths: ['tools/'] },
];

/**
 * Imports that break the order today, as `from -> to`. Each is a debt with its fix in the commit
 * that removes it; the test fails both on a new violation and on a listed one that is gone.
 */
const KNOWN_VIOLATIONS: readonly string[] = [];

const layerOf = (file: string): number => {
  let best = -1;
  let length = -1;
  LAYERS.forEach((layer, index) => {
    for (const prefix of layer.paths) {
      if (file.startsWith(prefix) && prefix.length > length) [best, length] = [index, prefix.length];
    }
  });
  return best;
};

interface Import {
  readonly specifier: string;
  readonly typeOnly: boolean;
}

/** Relative imports of a module: static, re-exports, side effects and import('…') with a literal. */
export function moduleImports(source: string): Import[] {
  const patterns = [
    /^\s*(?:import|export)\s([^;]*?)\sfrom\s*['"]([^'"]+)['"]/gm,
    /^\s*import\s*()['"]([^'"]+)['"]/gm,
    /\bimport\(\s*()['"]([^'"]+)['"]\s*\)/g,
  ];
  return patterns
    .flatMap((pattern) =>
      [...source.matchAll(pattern)].map((match) => ({ specifier: match[2], typeOnly: /^\s*type\s/.test(match[1]) })),
    )
    .filter((found) => found.specifier.startsWith('.'));
}
const importSpecifiers = (source: string) => moduleImports(source).map((found) => found.specifier);

const files = fg.sync(['scripts/**/*.{ts,mjs}', 'tools/**/*.{ts,mjs}'], { cwd: PROJECT_ROOT }).sort();
const resolved = (file: string, found: Import) => ({
  ...found,
  target: path.posix.normalize(path.posix.join(path.posix.dirname(file), found.specifier)),
});
const imports = new Map(
  files.map(
    (file) =>
      [
        file,
        moduleImports(readFileSync(path.join(PROJECT_ROOT, file), 'utf8')).map((found) => resolved(file, found)),
      ] as const,
  ),
);
/** Every import, for the floors. */
const graph = new Map([...imports].map(([file, found]) => [file, [...new Set(found.map((i) => i.target))]] as const));
/**
 * The edges a cycle may not run through: every import except a type-only one within the same
 * folder (config/environment.ts composes the types its sibling modules declare and check; the
 * compiler erases them, and the folder is one unit). A type import across folders still counts.
 */
const cycleGraph = new Map(
  [...imports].map(
    ([file, found]) =>
      [
        file,
        [
          ...new Set(
            found
              .filter((i) => !(i.typeOnly && path.posix.dirname(i.target) === path.posix.dirname(file)))
              .map((i) => i.target),
          ),
        ],
      ] as const,
  ),
);

test('the parser sees every kind of import (a multi-line list, a re-export, a type import, a dynamic one)', () => {
  assert.equal(
    moduleImports("import type { A } from './a.ts';\nimport { type B, c } from './b.ts';\n").map((i) => i.typeOnly),
    [true, false],
  );
  const source =
    "import {\n  a,\n  b,\n} from './a.ts';\nexport { c } from '../c.ts';\nimport type { D } from './d.ts';\nimport 'node:fs';\nconst e = await import('./e.ts');\n// import x from './comment.ts' in prose is not code\n";
  assert.equal(importSpecifiers(source).sort(), ['../c.ts', './a.ts', './d.ts', './e.ts']);
});

test('every module of scripts/ and tools/ stands on a declared floor', () => {
  assert.ok(files.length > 100, `found ${files.length} modules`);
  assert.equal(
    files.filter((file) => layerOf(file) < 0),
    [],
    'add these to LAYERS',
  );
});

test('no module imports from a floor above its own', () => {
  const violations: string[] = [];
  for (const [file, targets] of graph) {
    for (const target of targets) {
      if (layerOf(target) > layerOf(file))
        violations.push(
          `${file} (${LAYERS[layerOf(file)].name}) -> ${target} (${LAYERS[layerOf(target)]?.name ?? 'no floor'})`,
        );
    }
  }
  assert.equal(
    violations.filter((v) => !KNOWN_VIOLATIONS.includes(v)),
    [],
    'new imports from above',
  );
  assert.equal(
    KNOWN_VIOLATIONS.filter((v) => !violations.includes(v)),
    [],
    'fixed: remove from KNOWN_VIOLATIONS',
  );
});

/** Strongly connected components of more than one module (Tarjan), each sorted: the import cycles. */
function cycles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (node: string) => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      if (!edges.has(next)) continue;
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (stack.includes(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (edges.get(node) ?? []).includes(node)) found.push(component.sort());
    }
  };
  for (const node of edges.keys()) if (!index.has(node)) visit(node);
  return found;
}

test('the cycle finder finds a cycle of three and none in a chain', () => {
  assert.equal(
    cycles(
      new Map([
        ['a', ['b']],
        ['b', ['c']],
        ['c', ['a']],
        ['d', ['a']],
      ]),
    ),
    [['a', 'b', 'c']],
  );
  assert.equal(
    cycles(
      new Map([
        ['a', ['b']],
        ['b', ['c']],
        ['c', []],
      ]),
    ),
    [],
  );
});

test('no import cycle, across folders or within one', () => {
  assert.equal(cycles(cycleGraph), []);
});

test('every relative import names a file that exists', () => {
  const missing = [...graph].flatMap(([file, targets]) =>
    targets
      .filter((t) => !t.startsWith('test/') && !graph.has(t) && !t.endsWith('.json'))
      .map((t) => `${file} -> ${t}`),
  );
  assert.equal(missing, []);
});

test('bad input is refused by config/ alone: nothing else throws a ConfigError (the commands only for their own arguments)', () => {
  const throwers = files.filter((file) =>
    /\bnew ConfigError\(/.test(readFileSync(path.join(PROJECT_ROOT, file), 'utf8')),
  );
  assert.ok(throwers.includes('scripts/config/load.ts'), 'the search finds the loader');
  assert.equal(
    throwers.filter((file) => !file.startsWith('scripts/config/')),
    ['scripts/build.ts'],
  );
});

test.run();
