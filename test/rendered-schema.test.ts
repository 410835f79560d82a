import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { schemaProblems } from '../scripts/verify/schema.ts';
import { renderedEnvironments, renderedYaml } from './support/rendered.ts';

for (const environment of renderedEnvironments()) {
  test(`${environment}: every rendered object passes its kubernetes-models schema`, async () => {
    assert.equal(await schemaProblems(renderedYaml(environment)), []);
  });
}

test('the schema check catches a bad quantity and an unknown kind', async () => {
  const broken = renderedYaml('prod').replace(/memory: 4Gi/g, 'memory: 4Gb');
  const problems = await schemaProblems(`${broken}---\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n`);
  assert.ok(problems.some((p) => p.startsWith('StatefulSet/postgresql:') && p.includes('memory')), problems.join('\n'));
  assert.ok(problems.includes('Widget/w: no schema known for example.com/v1 Widget'), problems.join('\n'));
});

test.run();
