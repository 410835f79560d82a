import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAllDocuments } from 'yaml';
import { modelClass, renderedObjects, schemaProblems } from '../scripts/verify/schema.ts';
import { MODELS } from '../scripts/verify/models.ts';
import { renderedEnvironments, renderedYaml } from './support/rendered.ts';

for (const environment of renderedEnvironments()) {
  test(`${environment}: every rendered object passes its kubernetes-models schema`, async () => {
    assert.equal(await schemaProblems(renderedYaml(environment)), []);
  });
}

test('the schema check catches a bad quantity and an unknown kind', async () => {
  const broken = renderedYaml('prod').replace(/memory: 4Gi/g, 'memory: 4Gb');
  const problems = await schemaProblems(
    `${broken}---\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n`,
  );
  assert.ok(
    problems.some((p) => p.startsWith('StatefulSet/postgresql:') && p.includes('memory')),
    problems.join('\n'),
  );
  assert.ok(problems.includes('Widget/w: no schema known for example.com/v1 Widget'), problems.join('\n'));
});

test('the build reads rendered output (js-yaml) exactly as the yaml package reads it', () => {
  for (const environment of renderedEnvironments()) {
    const yaml = renderedYaml(environment);
    assert.equal(
      renderedObjects(yaml),
      parseAllDocuments(yaml).map((document) => document.toJS()),
      environment,
    );
  }
  // Strings a YAML 1.1 reader would turn into dates or booleans stay strings, as kustomize meant them.
  assert.equal(renderedObjects('a: 2024-01-01\nb: yes\nc: "0755"\n'), [{ a: '2024-01-01', b: 'yes', c: '0755' }]);
});

test('every kind in the model table has a kubernetes-models class', async () => {
  for (const key of Object.keys(MODELS)) {
    const [apiVersion, kind] = key.split(' ');
    assert.type(await modelClass(apiVersion, kind), 'function', key);
  }
});

test.run();
