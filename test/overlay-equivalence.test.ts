import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { components } from '../scripts/components/index.ts';
import { loadEnvironments } from '../scripts/config/load.ts';
import { resourceFiles } from '../scripts/kustomize/base.ts';
import { bundleParameters } from '../scripts/postgres/conf.ts';
import { formatParameterValue } from '../scripts/postgres/parameters.ts';
import { PROJECT_ROOT } from './support/cli.ts';
import { effectiveParameters } from './support/postgresql-conf.ts';
import { find, rendered } from './support/rendered.ts';

/**
 * The overlays hold only deltas. This proves they hold all of them: each environment's objects,
 * built directly from its complete settings, equal what kustomize renders from base + overlay,
 * up to what kustomize adds by design (namespace, hash suffixes, metadata labels).
 */
const environments = await loadEnvironments(path.join(PROJECT_ROOT, 'scripts/environments'), PROJECT_ROOT);

/** Drops what kustomize adds by design, so the rest can be compared exactly. */
function normalized(object: Record<string, any>): Record<string, any> {
  const json = JSON.stringify(object).replace(/"(postgresql-(?:config|secret|backup-scripts|monitoring-init))-[a-z0-9]{10}"/g, '"$1"');
  const copy = JSON.parse(json);
  delete copy.metadata.namespace;
  delete copy.metadata.labels;
  return copy;
}

for (const environment of environments) {
  const objects = rendered(environment.name);
  // The base's objects, then each enabled component's changes and objects, in the overlay's order.
  const direct = components.filter((component) => component.enabled(environment))
    .reduce((objects, component) => component.applied?.(objects, environment) ?? objects, Object.values(resourceFiles(environment)).flat()) as Record<string, any>[];

  test(`${environment.name}: base + overlay renders the same objects as the environment's complete settings`, () => {
    for (const object of direct) {
      const actual = find(objects, object.kind, object.metadata.name);
      assert.equal(normalized(actual), normalized(object), `${object.kind}/${object.metadata.name}`);
    }
  });

  test(`${environment.name}: the rendered ConfigMap gives PostgreSQL exactly the environment's parameters`, () => {
    const expected = Object.fromEntries(
      Object.entries({ ...bundleParameters, ...environment.postgresql }).map(([name, value]) => [name, formatParameterValue(value).replace(/^'(.*)'$/, '$1').replace(/''/g, "'")]),
    );
    assert.equal(effectiveParameters(find(objects, 'ConfigMap', 'postgresql-config').data), expected);
  });

  test(`${environment.name}: the namespace and the credentials' database follow the settings`, () => {
    assert.ok(objects.every((object) => object.metadata.namespace === environment.namespace));
    const secret = find(objects, 'Secret', 'postgresql-secret');
    assert.is(Buffer.from(secret.data.database, 'base64').toString(), environment.database);
  });
}

test.run();
