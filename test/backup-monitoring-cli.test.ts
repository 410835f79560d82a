import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertRefused, emptyDir, environmentsDir, runBuild, treeOf } from './support/cli.ts';
import { renderedObjects } from '../scripts/verify/schema.ts';

/**
 * Bad backup and monitoring settings, one environment each: [environment name, its settings, the
 * message]. The build reports every problem of every file at once, so one run shows them all.
 */
const BAD_INPUTS: [string, string, string][] = [
  [
    'hour-out-of-range',
    `backup: { enabled: true, schedule: '0 25 * * *' }`,
    'backup.schedule: "0 25 * * *": hour "25" is outside 0-23',
  ],
  [
    'six-fields',
    `backup: { schedule: '0 0 2 * * *' }`,
    'backup.schedule: "0 0 2 * * *" has 6 fields; a schedule is 5 fields',
  ],
  [
    'no-retention',
    `backup: { enabled: true, retentionDays: 0 }`,
    'backup.retentionDays: must be a whole number of days, at least 1',
  ],
  ['size-in-gb', `backup: { storage: { size: '50GB' } }`, 'backup.storage.size: "50GB" is not a Kubernetes quantity'],
  [
    'class-not-a-name',
    `backup: { storage: { storageClassName: 'Fast_SSD' } }`,
    'backup.storage.storageClassName: must be a StorageClass name',
  ],
  ['backup-true', `backup: true`, 'backup: must be an object with enabled, schedule, retentionDays, storage, got true'],
  [
    'monitor-without-monitoring',
    `monitoring: { serviceMonitor: true }`,
    'monitoring.serviceMonitor: needs monitoring.enabled: true',
  ],
  ['monitoring-yes', `monitoring: { enabled: 'yes' }`, 'monitoring.enabled: must be true or false, got "yes"'],
  [
    'no-scrapers',
    `monitoring: { enabled: true, allowedScrapers: [] }`,
    'monitoring.allowedScrapers: must not be empty: an empty list renders `from: []`, which admits every source',
  ],
];

test('refuses every bad backup and monitoring setting, each named with its environment and field, and writes nothing', () => {
  const files = Object.fromEntries(
    BAD_INPUTS.map(([name, settings]) => [`${name}.ts`, `export default { name: '${name}', ${settings} };\n`]),
  );
  assertRefused(
    files,
    BAD_INPUTS.map(([name, , message]) => `  ${name}: ${message}`),
  );
});

test('an environment that differs from every backup and monitoring default gets one patch per difference, rendered', () => {
  const out = emptyDir();
  const environments = environmentsDir({
    'qa.ts': `export default {
      name: 'qa', namespace: 'qa-databases', credentials: { source: 'generator', allowPlaceholder: true },
      backup: { enabled: true, schedule: '30 3 * * 0', retentionDays: 14, storage: { size: '50Gi', storageClassName: 'fast' } },
      monitoring: { enabled: true, serviceMonitor: true, allowedScrapers: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } } }] },
    };\n`,
  });
  const result = runBuild(['--out', out, '--environments', environments]);
  assert.is(result.code, 0, result.stderr);
  const tree = treeOf(out);
  const patches = Object.keys(tree)
    .filter((file) => file.startsWith('overlays/qa/patches/'))
    .sort();
  // exporter-tls: TLS is on by default, and the exporter then verifies the server (components/tls).
  assert.equal(
    patches,
    ['backup-retention', 'backup-schedule', 'backup-storage', 'metrics-scrapers', 'alerts-namespace', 'exporter-tls']
      .map((p) => `overlays/qa/patches/${p}.yaml`)
      .sort(),
  );
  assert.match(
    tree['overlays/qa/kustomization.yaml'],
    /components:\n\s+# .*\n\s+- \.\.\/\.\.\/components\/backup\n\s+# .*\n\s+- \.\.\/\.\.\/components\/monitoring\n/,
  );
  const objects = renderedObjects(tree['generated/qa.yaml']);
  const byName = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;
  const cronJob = byName('CronJob', 'postgresql-backup');
  assert.is(cronJob.spec.schedule, '30 3 * * 0');
  const env = Object.fromEntries(
    cronJob.spec.jobTemplate.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]),
  );
  assert.is(env.BACKUP_RETENTION_DAYS, '14');
  assert.is(env.PGHOST, 'postgresql', 'one replica: no read Service to read from');
  assert.equal(byName('PersistentVolumeClaim', 'postgresql-backups').spec, {
    accessModes: ['ReadWriteOnce'],
    resources: { requests: { storage: '50Gi' } },
    storageClassName: 'fast',
  });
  assert.equal(byName('NetworkPolicy', 'postgresql-metrics').spec.ingress[0].from, [
    { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } } },
  ]);
  const rules = byName('PrometheusRule', 'postgresql').spec.groups[0].rules;
  assert.ok(
    rules.every(
      (rule: any) => rule.expr.includes('namespace="qa-databases"') && !rule.expr.includes('project-template'),
    ),
    'the alerts follow the namespace',
  );
  assert.ok(objects.every((o) => o.metadata.namespace === 'qa-databases'));
});

test.run();
