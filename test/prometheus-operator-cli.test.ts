import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderedObjects } from '../scripts/verify/schema.ts';
import { assertRefused, emptyDir, environmentsDir, runBuild, treeOf } from './support/cli.ts';

/**
 * What prometheus-operator meets in a cluster: the ServiceMonitor finds the metrics Service by labels
 * Argo CD's label tracking leaves alone, carries the labels the environment's Prometheus selects by,
 * and is the pods' only scrape path.
 */
test('monitoring.labels reach the ServiceMonitor and the PrometheusRule; the ServiceMonitor still selects the metrics Service once Argo CD rewrites its instance label', () => {
  const out = emptyDir();
  const environments = environmentsDir({
    'prod.ts': `export default { name: 'prod', replicas: 2, image: { name: 'ghcr.io/penguintechinc/postgresql-patroni', tag: '16-alpine-patroni4.0.6' }, monitoring: { enabled: true, serviceMonitor: true, labels: { release: 'kube-prometheus-stack' } } };\n`,
    'staging.ts': `export default { name: 'staging', monitoring: { enabled: true } };\n`,
  });
  const result = runBuild(['--out', out, '--environments', environments]);
  assert.is(result.code, 0, result.stderr);
  const objects = renderedObjects(treeOf(out)['generated/prod.yaml']);
  const monitor = objects.find((o) => o.kind === 'ServiceMonitor')!;
  const rule = objects.find((o) => o.kind === 'PrometheusRule')!;
  assert.is(monitor.metadata.labels.release, 'kube-prometheus-stack');
  assert.is(rule.metadata.labels.release, 'kube-prometheus-stack');

  // Argo CD (label tracking) sets app.kubernetes.io/instance to the Application's name on every object it syncs.
  const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'postgresql-metrics')!;
  const tracked = { ...service.metadata.labels, 'app.kubernetes.io/instance': 'postgresql-prod' };
  const selects = (labels: Record<string, string>) =>
    Object.entries(monitor.spec.selector.matchLabels).every(([key, value]) => labels[key] === value);
  assert.ok(selects(tracked), 'the ServiceMonitor selects the metrics Service after Argo CD relabels it');
  const others = objects.filter((o) => o.kind === 'Service' && o.metadata.name !== 'postgresql-metrics');
  assert.ok(others.length > 0 && others.every((o) => !selects(o.metadata.labels)), 'and no other Service');

  // One scrape path each: the ServiceMonitor in prod, the pod annotations where there is no operator.
  const annotations = (tree: string) =>
    renderedObjects(treeOf(out)[tree]).find((o) => o.kind === 'StatefulSet')!.spec.template.metadata.annotations;
  assert.not.ok('prometheus.io/scrape' in annotations('generated/prod.yaml'));
  assert.is(annotations('generated/staging.yaml')['prometheus.io/scrape'], 'true');
});

test('a label that Kubernetes would refuse is refused, naming the environment and the field', () => {
  assertRefused(
    {
      'prod.ts': `export default { name: 'prod', monitoring: { enabled: true, serviceMonitor: true, labels: { 'bad key!': 'x', release: 'has space' } } };\n`,
    },
    [
      'prod: monitoring.labels.bad key!: is not a Kubernetes label key',
      'prod: monitoring.labels.release: must be a label value',
    ],
  );
});

test.run();
