import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderedObjects } from '../scripts/verify/schema.ts';
import { emptyDir, environmentsDir, runBuild, treeOf } from './support/cli.ts';

/**
 * The QoS class Kubernetes gives the database pods: Guaranteed only when every container, init
 * containers included, requests exactly its limits (the kubelet's rule); Burstable otherwise, which
 * the build says.
 */
function qosClass(pod: Record<string, any>): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const containers = [...pod.containers, ...(pod.initContainers ?? [])];
  if (containers.every((c) => !c.resources?.requests && !c.resources?.limits)) return 'BestEffort';
  const equal = containers.every((c) =>
    ['cpu', 'memory'].every(
      (kind) =>
        c.resources?.limits?.[kind] !== undefined &&
        (c.resources.requests?.[kind] ?? c.resources.limits[kind]) === c.resources.limits[kind],
    ),
  );
  return equal ? 'Guaranteed' : 'Burstable';
}

test("resources.guaranteed: every container of a replicated, monitored, TLS pod requests its limits; the seed's numbers stay Burstable, and the build says so", () => {
  const out = emptyDir();
  const common = `replicas: 2, image: { name: 'ghcr.io/penguintechinc/postgresql-patroni', tag: '16-alpine-patroni4.0.6' }, resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1', memory: '2Gi' } }, monitoring: { enabled: true }, backup: { enabled: true }`;
  const environments = environmentsDir({
    'prod.ts': `export default { name: 'prod', ${common.replace("limits: { cpu: '1', memory: '2Gi' } }", "limits: { cpu: '1', memory: '2Gi' }, guaranteed: true }")} };\n`,
    'staging.ts': `export default { name: 'staging', ${common} };\n`,
  });
  const result = runBuild(['--out', out, '--environments', environments]);
  assert.is(result.code, 0, result.stderr);
  const pod = (environment: string) =>
    renderedObjects(treeOf(out)[`generated/${environment}.yaml`]).find((o) => o.kind === 'StatefulSet')!.spec.template
      .spec;
  const prod = pod('prod');
  assert.equal(
    prod.containers.map((c: any) => c.name),
    ['postgresql', 'exporter', 'tls-reload'],
  );
  assert.is(qosClass(prod), 'Guaranteed');
  assert.equal(prod.containers[0].resources.requests, { cpu: '1', memory: '2Gi' });
  assert.is(qosClass(pod('staging')), 'Burstable');
  assert.match(result.stderr, 'warning: staging: Burstable pods (requests 500m/1Gi below limits 1/2Gi)');
  assert.not.match(result.stderr, 'warning: prod:');
});

test.run();
