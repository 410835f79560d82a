import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, rmSync, statSync } from 'node:fs';
import fg from 'fast-glob';
import path from 'node:path';
import { renderedEnvironments } from './support/rendered.ts';
import {
  PROJECT_ROOT,
  assertRefused,
  copyOfBundle,
  emptyDir,
  environmentsDir,
  runBuild,
  treeOf,
} from './support/cli.ts';

const committed = treeOf(`${PROJECT_ROOT}/generated`);

test('two builds into fresh directories give identical trees, equal to the committed bundle', () => {
  const [first, second] = [emptyDir(), emptyDir()];
  const a = runBuild(['--out', first]);
  const b = runBuild(['--out', second]);
  assert.is(a.code, 0, a.stderr);
  assert.is(b.code, 0, b.stderr);
  assert.equal(treeOf(first), treeOf(second));
  assert.equal(treeOf(path.join(first, 'generated')), committed);
  assert.equal(
    Object.keys(treeOf(first)).filter((file) => file.startsWith('.build-')),
    [],
    'no scratch directory left behind',
  );
  rmSync(first, { recursive: true });
  rmSync(second, { recursive: true });
});

test('prints one summary line per overlay and the kustomize it used', () => {
  const out = copyOfBundle();
  const result = runBuild(['--out', out]);
  assert.is(result.code, 0, result.stderr);
  assert.match(result.stdout, /Rendered with kustomize \d+\.\d+\.\d+ \(/);
  for (const environment of renderedEnvironments()) {
    assert.match(result.stdout, new RegExp(`^  ${environment}\\s+\\d+ objects\\s+unchanged \\(\\d+ files\\)$`, 'm'));
  }
});

test('--check passes on the committed bundle and names every stale, missing and extra file', () => {
  const out = copyOfBundle();
  assert.is(runBuild(['--check', '--out', out]).code, 0);
  appendFileSync(path.join(out, 'generated/prod.yaml'), '# hand edit\n');
  rmSync(path.join(out, 'overlays/dev/patches/storage.yaml'));
  appendFileSync(path.join(out, 'overlays/staging/stray.yaml'), 'x: 1\n');
  const before = treeOf(out);
  const result = runBuild(['--check', '--out', out]);
  assert.is(result.code, 1);
  assert.match(result.stderr, 'stale:   generated/prod.yaml');
  assert.match(result.stderr, 'missing: overlays/dev/patches/storage.yaml');
  assert.match(result.stderr, 'extra:   overlays/staging/stray.yaml');
  assert.equal(treeOf(out), before, '--check writes nothing');
});

test('a build that changes nothing writes nothing: every file keeps its inode and modification time', () => {
  const out = copyOfBundle();
  assert.is(runBuild(['--out', out]).code, 0);
  const stamps = () =>
    fg
      .sync('**/*', { cwd: out, dot: true })
      .sort()
      .map((file) => {
        const stat = statSync(path.join(out, file));
        return `${file} ${stat.ino} ${stat.mtimeMs}`;
      });
  const before = stamps();
  const again = runBuild(['--out', out]);
  assert.is(again.code, 0, again.stderr);
  assert.equal(stamps(), before);
});

test('a build replaces stale files and removes the overlay of a deleted environment', () => {
  const out = copyOfBundle();
  appendFileSync(path.join(out, 'generated/dev.yaml'), '# hand edit\n');
  const withoutStaging = environmentsDir({ 'staging.ts': null });
  const result = runBuild(['--out', out, '--environments', withoutStaging]);
  assert.is(result.code, 0, result.stderr);
  const tree = treeOf(out);
  assert.is(tree['generated/dev.yaml'], committed['dev.yaml']);
  assert.not.ok(
    Object.keys(tree).some((file) => file.includes('staging')),
    'staging is gone',
  );
});

test('a fourth environment is one new file: it gets its own overlay and rendered file', () => {
  const out = emptyDir();
  const environments = environmentsDir({
    // Two replicas run Patroni, so the image is the project's (the official one is refused).
    'qa.ts': `export default { name: 'qa', replicas: 2, image: { name: 'ghcr.io/penguintechinc/postgresql-patroni', tag: '16-alpine-patroni4.0.6' }, namespace: 'qa-databases', storage: { size: '8Gi' }, postgresql: { max_connections: 80 } };\n`,
  });
  const result = runBuild(['--out', out, '--environments', environments]);
  assert.is(result.code, 0, result.stderr);
  assert.match(result.stdout, /^ {2}qa\s+\d+ objects/m);
  const tree = treeOf(out);
  assert.match(tree['overlays/qa/kustomization.yaml'], 'namespace: qa-databases');
  assert.match(tree['overlays/qa/environment.conf'], 'max_connections = 80');
  assert.match(tree['generated/qa.yaml'], 'DB_HOST: postgresql.qa-databases.svc.cluster.local');
  assert.match(tree['generated/qa.yaml'], 'storage: 8Gi');
  assert.equal(tree['generated/prod.yaml'], committed['prod.yaml']);
});

test('environment names on the command line build only those; an unknown one is refused', () => {
  const out = copyOfBundle();
  const before = treeOf(out);
  const only = runBuild(['--out', out, 'dev']);
  assert.is(only.code, 0, only.stderr);
  assert.match(only.stdout, /^ {2}dev /m);
  assert.not.match(only.stdout, /^ {2}prod /m);
  const unknown = runBuild(['--out', out, 'dev', 'no-such-environment']);
  assert.is(unknown.code, 1);
  assert.match(
    unknown.stderr,
    `no-such-environment: unknown environment on the command line; allowed: ${renderedEnvironments().join(', ')}`,
  );
  assert.equal(treeOf(out), before);
});

/** Each bad input: the environment file that holds it and the message it must produce. */
const BAD_INPUTS: [string, Record<string, string | null>, string][] = [
  [
    'replicas 0',
    { 'dev.ts': `export default { name: 'dev', replicas: 0 };\n` },
    'dev: replicas: must be a whole number of at least 1, got 0',
  ],
  [
    'storage "10Gb"',
    { 'dev.ts': `export default { name: 'dev', storage: { size: '10Gb' } };\n` },
    'dev: storage.size: "10Gb" is not a Kubernetes quantity: use a number with one of Ki, Mi, Gi',
  ],
  [
    'requests above limits',
    { 'dev.ts': `export default { name: 'dev', resources: { requests: { cpu: '2' } } };\n` },
    'dev: resources.requests.cpu: request "2" is above the limit "500m"',
  ],
  [
    'an unknown PostgreSQL parameter',
    { 'dev.ts': `export default { name: 'dev', postgresql: { shared_bufers: '128MB' } };\n` },
    'dev: postgresql.shared_bufers: unknown parameter; did you mean "shared_buffers"?',
  ],
  [
    'a duplicate environment',
    { 'dev2.ts': `export default { name: 'dev' };\n` },
    'dev: name: duplicate environment, defined in both',
  ],
  [
    'a namespace that is not a DNS label',
    { 'dev.ts': `export default { name: 'dev', namespace: 'Project_Template' };\n` },
    'dev: namespace: must be a namespace that is a DNS label',
  ],
  [
    'an environment name that is not a DNS label',
    { 'dev.ts': `export default { name: 'Dev Env' };\n` },
    'Dev Env: name: must be an environment name that is a DNS label',
  ],
  [
    'an unknown setting',
    { 'dev.ts': `export default { name: 'dev', replica: 2 };\n` },
    'dev: replica: unknown setting; allowed: name, namespace, replicas',
  ],
  [
    'an unknown anti-affinity mode',
    { 'prod.ts': `export default { name: 'prod', podAntiAffinity: 'always' };\n` },
    'prod: podAntiAffinity: must be one of none, preferred, required, got "always"',
  ],
  [
    'a bad database name',
    { 'dev.ts': `export default { name: 'dev', database: 'my-db' };\n` },
    'dev: database: must be a lowercase SQL identifier',
  ],
  [
    'a bundle-owned parameter',
    { 'dev.ts': `export default { name: 'dev', postgresql: { port: 6543 } };\n` },
    'dev: postgresql.port:',
  ],
  [
    '/dev/shm as large as the memory limit',
    { 'dev.ts': `export default { name: 'dev', sharedMemorySize: '1Gi' };\n` },
    'dev: sharedMemorySize: "1Gi" must be below the memory limit "1Gi"',
  ],
];

for (const [what, files, message] of BAD_INPUTS) {
  test(`refuses ${what}, names the field, and writes nothing`, () => assertRefused(files, [message]));
}

test('a build that fails after rendering started leaves the previous tree intact', () => {
  const out = copyOfBundle();
  const before = treeOf(out);
  const result = runBuild(['--out', out], {
    ...process.env,
    KUSTOMIZE: path.join(PROJECT_ROOT, 'test/support/failing-kustomize.sh'),
  });
  assert.is.not(result.code, 0);
  assert.match(result.stderr, 'nothing written');
  assert.equal(treeOf(out), before);
});

test.run();
