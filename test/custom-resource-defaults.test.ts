import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CRD_DEFAULTS, defaultedFields } from './support/crd-defaults.ts';
import { rendered, renderedEnvironments } from './support/rendered.ts';

/**
 * Every custom resource an environment renders spells out each field its CRD defaults: otherwise the
 * API server adds it, the live object differs from git, and Argo CD shows it OutOfSync and self-heal
 * re-applies it in a loop (issue 15: the ExternalSecret's remoteRef strategies).
 */
const BUILT_IN_GROUPS = /^(v1|(apps|batch|policy|networking\.k8s\.io|rbac\.authorization\.k8s\.io)\/v1)$/;

test('the defaults table reads a path where the object has it, and reports it missing where its parent exists', () => {
  const object = {
    spec: {
      data: [{ remoteRef: { key: 'a', conversionStrategy: 'Default' } }, { remoteRef: { key: 'b' } }],
      dataFrom: [],
    },
  };
  assert.equal(defaultedFields(object, 'spec.data[].remoteRef.conversionStrategy'), [
    ['spec.data[0].remoteRef.conversionStrategy', true],
    ['spec.data[1].remoteRef.conversionStrategy', false],
  ]);
  assert.equal(defaultedFields(object, 'spec.dataFrom[].extract.conversionStrategy'), []);
  assert.equal(defaultedFields(object, 'spec.refreshInterval'), [['spec.refreshInterval', false]]);
  assert.equal(defaultedFields(object, 'spec.target.creationPolicy'), []);
});

for (const environment of renderedEnvironments()) {
  test(`${environment}: every custom resource renders every field its CRD defaults`, () => {
    const custom = rendered(environment).filter((object) => !BUILT_IN_GROUPS.test(object.apiVersion));
    const missing: string[] = [];
    for (const object of custom) {
      const kind = `${object.apiVersion} ${object.kind}`;
      const defaults = CRD_DEFAULTS[kind];
      if (!defaults) {
        missing.push(`${kind}: no CRD defaults recorded in test/support/crd-defaults.ts: read its CRD and add them`);
        continue;
      }
      for (const { path, value } of defaults) {
        for (const [where, present] of defaultedFields(object, path)) {
          if (!present)
            missing.push(
              `${object.kind}/${object.metadata.name}: ${where} is absent; its CRD defaults it to ${JSON.stringify(value)}`,
            );
        }
      }
    }
    assert.equal(missing, []);
  });
}

test('the check finds the problem it exists for: the ExternalSecret as rendered before issue 15', () => {
  const before = {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name: 'postgresql-secret' },
    spec: {
      refreshInterval: '1h',
      target: { creationPolicy: 'Owner', deletionPolicy: 'Retain' },
      data: [{ secretKey: 'password', remoteRef: { key: 'postgresql', property: 'password' } }],
    },
  };
  const absent = CRD_DEFAULTS['external-secrets.io/v1 ExternalSecret']
    .flatMap(({ path }) => defaultedFields(before, path))
    .filter(([, present]) => !present)
    .map(([where]) => where);
  assert.equal(absent, [
    'spec.data[0].remoteRef.conversionStrategy',
    'spec.data[0].remoteRef.decodingStrategy',
    'spec.data[0].remoteRef.metadataPolicy',
  ]);
});

test.run();
