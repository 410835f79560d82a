import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { components } from '../scripts/components/index.ts';
import { loadEnvironments } from '../scripts/config/load.ts';
import { resourceFiles } from '../scripts/assembly/base.ts';
import { bundleParameters } from '../scripts/postgres/conf.ts';
import { tlsParameters } from '../scripts/k8s/tls.ts';
import { formatParameterValue } from '../scripts/postgres/parameters.ts';
import { archivingParameters } from '../scripts/postgres/pgbackrest-conf.ts';
import { PROJECT_ROOT } from './support/cli.ts';
import { renderedCredentials } from './support/credentials.ts';
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
  const json = JSON.stringify(object).replace(
    /"(postgresql-(?:config|secret|app|patroni-scripts|patroni|backup-scripts|monitoring-init|application-init|tls-reload|pgbackrest-config))-[a-z0-9]{10}"/g,
    '"$1"',
  );
  const copy = JSON.parse(json);
  delete copy.metadata.namespace;
  delete copy.metadata.labels;
  // Added by the credentials source from what git says about them, not from the settings (test/credentials.test.ts).
  const template = copy.spec?.template?.metadata;
  if (template?.annotations) delete template.annotations['checksum/credentials'];
  if (template?.annotations && Object.keys(template.annotations).length === 0) delete template.annotations;
  return copy;
}

for (const environment of environments) {
  const objects = rendered(environment.name);
  // The base's objects, then each enabled component's changes and objects, in the overlay's order.
  const direct = components
    .filter((component) => component.enabled(environment))
    .reduce(
      (objects, component) => component.applied?.(objects, environment) ?? objects,
      Object.values(resourceFiles(environment)).flat(),
    ) as Record<string, any>[];

  test(`${environment.name}: base + overlay renders the same objects as the environment's complete settings`, () => {
    for (const object of direct) {
      const actual = find(objects, object.kind, object.metadata.name);
      assert.equal(normalized(actual), normalized(object), `${object.kind}/${object.metadata.name}`);
    }
  });

  test(`${environment.name}: the rendered ConfigMap gives PostgreSQL exactly the environment's parameters`, () => {
    const expected = Object.fromEntries(
      Object.entries({
        ...bundleParameters,
        ...(environment.tls.enabled ? tlsParameters(environment) : {}),
        ...environment.postgresql,
        ...(environment.pitr.enabled ? archivingParameters() : {}),
      }).map(([name, value]) => [
        name,
        formatParameterValue(value)
          .replace(/^'(.*)'$/, '$1')
          .replace(/''/g, "'"),
      ]),
    );
    assert.equal(effectiveParameters(find(objects, 'ConfigMap', 'postgresql-config').data), expected);
  });

  test(`${environment.name}: the namespace and the credentials' database follow the settings`, () => {
    assert.ok(objects.every((object) => object.metadata.namespace === environment.namespace));
    const credentials = renderedCredentials(objects);
    // A sealed or out-of-band Secret's database is not readable in git.
    if (credentials.renderedBy === 'Secret' || credentials.renderedBy === 'ExternalSecret')
      assert.is(credentials.database, environment.database);
  });
}

test.run();
