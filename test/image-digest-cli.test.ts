import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderedObjects } from '../scripts/verify/schema.ts';
import { assertRefused, emptyDir, environmentsDir, runBuild, treeOf } from './support/cli.ts';

// Well-formed test values only: the committed environments pin no digest (no registry is reachable here to read one).
const DATABASE_DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;
const EXPORTER_DIGEST = `sha256:${'fedcba9876543210'.repeat(4)}`;

test('image.digest and monitoring.exporterDigest render every container as name:tag@digest; no digest, no change', () => {
  const out = emptyDir();
  const environments = environmentsDir({
    // Two replicas run Patroni: the project's image, pinned like any other.
    'prod.ts': `export default { name: 'prod', replicas: 2, image: { name: 'ghcr.io/penguintechinc/postgresql-patroni', tag: '16.4-alpine-patroni4.0.6', digest: '${DATABASE_DIGEST}' }, backup: { enabled: true }, monitoring: { enabled: true, exporterDigest: '${EXPORTER_DIGEST}' } };\n`,
    'staging.ts': `export default { name: 'staging', backup: { enabled: true }, monitoring: { enabled: true } };\n`,
  });
  const result = runBuild(['--out', out, '--environments', environments]);
  assert.is(result.code, 0, result.stderr);
  const images = (environment: string) => {
    const objects = renderedObjects(treeOf(out)[`generated/${environment}.yaml`]);
    const pods = objects.flatMap((o) =>
      o.kind === 'StatefulSet'
        ? [o.spec.template.spec]
        : o.kind === 'CronJob'
          ? [o.spec.jobTemplate.spec.template.spec]
          : [],
    );
    return Object.fromEntries(
      pods.flatMap((pod) => [...pod.containers, ...(pod.initContainers ?? [])]).map((c) => [c.name, c.image]),
    );
  };
  const prod = images('prod');
  for (const name of ['postgresql', 'tls-reload', 'backup'])
    assert.is(
      prod[name],
      `ghcr.io/penguintechinc/postgresql-patroni:16.4-alpine-patroni4.0.6@${DATABASE_DIGEST}`,
      name,
    );
  assert.is(prod.exporter, `quay.io/prometheuscommunity/postgres-exporter:v0.17.1@${EXPORTER_DIGEST}`);
  const staging = images('staging');
  assert.is(staging.postgresql, 'postgres:16-alpine');
  assert.is(staging.exporter, 'quay.io/prometheuscommunity/postgres-exporter:v0.17.1');
});

test('a digest that is not sha256 and 64 hex digits is refused, naming the field', () => {
  assertRefused(
    {
      'prod.ts': `export default { name: 'prod', image: { digest: 'sha256:abc' }, monitoring: { enabled: true, exporterDigest: 'latest' } };\n`,
    },
    [
      'prod: image.digest: must be a manifest digest "sha256:" and 64 hex digits',
      'prod: monitoring.exporterDigest: must be a manifest digest "sha256:" and 64 hex digits',
    ],
  );
});

test.run();
