import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadEnvironments } from '../scripts/config/load.ts';
import { metricNames, promqlProblems } from '../scripts/verify/promql.ts';
import { schemaProblems } from '../scripts/verify/schema.ts';
import { PROJECT_ROOT } from './support/cli.ts';
import { restrictedViolations } from './support/pod-security.ts';
import { find, rendered, renderedEnvironments, renderedYaml } from './support/rendered.ts';

/**
 * What each environment file asks for, read from the files themselves, so a new environment is
 * tested too. The seed's values (daily at 02:00 UTC, 7 days in staging and 30 in prod) are in the files.
 */
const environments = await loadEnvironments(path.join(PROJECT_ROOT, 'scripts/environments'), PROJECT_ROOT);
const SEED = Object.fromEntries(
  environments.map((e) => [
    e.name,
    {
      backup: e.backup.enabled
        ? { schedule: e.backup.schedule, retentionDays: String(e.backup.retentionDays) }
        : undefined,
      monitoring: e.monitoring.enabled,
      serviceMonitor: e.monitoring.serviceMonitor,
    },
  ]),
);

/**
 * Every metric the alerts may read: postgres_exporter v0.17's (pg_up; the stat_activity, settings and
 * stat_replication default queries; the replication, replication_slot and stat_database collectors),
 * kube-state-metrics', the kubelet's, and Prometheus's own `up`. A typo in a metric name parses
 * fine and never fires: this list catches it.
 */
const KNOWN_METRICS = new Set([
  'up',
  'pg_up',
  'pg_stat_activity_count',
  'pg_stat_activity_max_tx_duration',
  'pg_settings_max_connections',
  'pg_replication_lag_seconds',
  'pg_stat_replication_pg_wal_lsn_diff',
  'pg_replication_slot_wal_status',
  'pg_replication_slot_slot_is_active',
  'pg_stat_database_deadlocks',
  // postgres_exporter's pg_stat_archiver and pg_replication collectors (on by default).
  'pg_stat_archiver_failed_count',
  'pg_stat_archiver_last_archive_age',
  'pg_replication_is_replica',
  'kube_statefulset_replicas',
  'kube_cronjob_status_last_successful_time',
  'kube_cronjob_created',
  'kubelet_volume_stats_used_bytes',
  'kubelet_volume_stats_capacity_bytes',
]);

/** Every pod template of a rendered environment, by the object that holds it. */
function podTemplates(objects: Record<string, any>[]): [string, Record<string, any>][] {
  return objects.flatMap((o): [string, Record<string, any>][] => {
    if (o.kind === 'StatefulSet') return [[`StatefulSet/${o.metadata.name}`, o.spec.template]];
    if (o.kind === 'CronJob') return [[`CronJob/${o.metadata.name}`, o.spec.jobTemplate.spec.template]];
    return [];
  });
}
const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

for (const environment of renderedEnvironments()) {
  const seed = SEED[environment];
  const objects = rendered(environment);
  const sts = find(objects, 'StatefulSet', 'postgresql');
  const kinds = (kind: string) => objects.filter((o) => o.kind === kind).map((o) => o.metadata.name);

  test(`${environment}: every container of every pod, sidecar and jobs included, meets Pod Security "restricted" and has resources`, () => {
    for (const [where, template] of podTemplates(objects)) assert.equal(restrictedViolations(template.spec), [], where);
  });

  test(`${environment}: backups ${seed.backup ? `daily at "${seed.backup.schedule}" UTC, kept ${seed.backup.retentionDays} days` : 'off: no CronJob, no backup volume'}`, () => {
    if (!seed.backup) {
      assert.equal(kinds('CronJob'), []);
      assert.equal(kinds('PersistentVolumeClaim'), []);
      return;
    }
    const cronJob = find(objects, 'CronJob', 'postgresql-backup');
    assert.is(cronJob.spec.schedule, seed.backup.schedule);
    assert.is(cronJob.spec.timeZone, 'Etc/UTC');
    assert.is(cronJob.spec.concurrencyPolicy, 'Forbid');
    assert.ok(
      cronJob.spec.startingDeadlineSeconds > 0 && cronJob.spec.jobTemplate.spec.activeDeadlineSeconds > 0,
      'deadlines',
    );
    assert.ok(cronJob.spec.successfulJobsHistoryLimit > 0 && cronJob.spec.failedJobsHistoryLimit > 0, 'history limits');
    const container = cronJob.spec.jobTemplate.spec.template.spec.containers[0];
    const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    assert.is(env.BACKUP_RETENTION_DAYS, seed.backup.retentionDays);
    assert.is(container.image, sts.spec.template.spec.containers[0].image, "pg_dump from the server's own image");
    assert.is(
      env.PGHOST,
      sts.spec.replicas > 1 ? 'postgresql-read' : 'postgresql',
      'standbys are read when there are any',
    );
    assert.equal(container.command, ['sh', '/scripts/backup.sh']);
    const volumes = cronJob.spec.jobTemplate.spec.template.spec.volumes;
    assert.is(
      volumes.find((v: any) => v.name === 'backups').persistentVolumeClaim.claimName,
      find(objects, 'PersistentVolumeClaim', 'postgresql-backups').metadata.name,
    );
    assert.is(
      volumes.find((v: any) => v.name === 'scripts').configMap.name,
      find(objects, 'ConfigMap', 'postgresql-backup-scripts').metadata.name,
    );
    const restoreJob = find(objects, 'CronJob', 'postgresql-restore');
    assert.is(restoreJob.spec.suspend, true, 'the restore toolbox never runs by itself');
    assert.is(
      Object.fromEntries(
        restoreJob.spec.jobTemplate.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]),
      ).PGHOST,
      'postgresql',
      'restores write to the primary',
    );
  });

  if (seed.backup) {
    test(`${environment}: backup pods are never selected as database pods, and a NetworkPolicy admits them to 5432`, () => {
      const selectors = [
        ...objects
          .filter((o) => o.kind === 'Service')
          .map((o) => [`Service/${o.metadata.name}`, o.spec.selector] as const),
        ['StatefulSet selector', sts.spec.selector.matchLabels] as const,
      ];
      for (const name of ['postgresql-backup', 'postgresql-restore']) {
        const labels = find(objects, 'CronJob', name).spec.jobTemplate.spec.template.metadata.labels;
        for (const [what, selector] of selectors)
          assert.not.ok(matches(selector, labels), `${what} must not select ${name}'s pods`);
        const admitted = objects
          .filter(
            (o) =>
              o.kind === 'NetworkPolicy' && matches(o.spec.podSelector.matchLabels, sts.spec.template.metadata.labels),
          )
          .flatMap((policy) => policy.spec.ingress)
          .filter(
            (rule: any) =>
              rule.ports.some((p: any) => p.port === 5432) &&
              rule.from.some(
                (peer: any) =>
                  peer.podSelector && !peer.namespaceSelector && matches(peer.podSelector.matchLabels ?? {}, labels),
              ),
          );
        assert.ok(admitted.length > 0, `${name}'s pods reach 5432`);
      }
    });
  }

  test(`${environment}: monitoring ${seed.monitoring ? 'on: exporter sidecar, scrape annotations, metrics Service' : 'off: no exporter, annotations or alerts'}`, () => {
    const pod = sts.spec.template;
    const exporter = pod.spec.containers.find((c: any) => c.name === 'exporter');
    if (!seed.monitoring) {
      assert.is(exporter, undefined);
      assert.not.ok(Object.keys(pod.metadata.annotations).some((key) => key.startsWith('prometheus.io/')));
      assert.equal(kinds('PrometheusRule'), []);
      assert.not.ok(kinds('Service').includes('postgresql-metrics'));
      return;
    }
    assert.is(pod.spec.containers[0].name, 'postgresql', 'the database stays the first container');
    assert.is(pod.metadata.annotations['kubectl.kubernetes.io/default-container'], 'postgresql');
    assert.match(
      exporter.image,
      /^quay\.io\/prometheuscommunity\/postgres-exporter:v\d+\.\d+\.\d+$/,
      'a pinned release',
    );
    assert.equal(exporter.ports, [{ name: 'metrics', containerPort: 9187, protocol: 'TCP' }]);
    assert.ok(exporter.livenessProbe && exporter.readinessProbe, 'probes');
    const env = Object.fromEntries(exporter.env.map((e: any) => [e.name, e]));
    assert.match(env.DATA_SOURCE_URI.value, /^127\.0\.0\.1:5432\//);
    assert.is(env.DATA_SOURCE_USER.value, 'postgres_exporter');
    assert.is(env.DATA_SOURCE_PASS.valueFrom.secretKeyRef.key, 'monitoring-password');
    // One scrape path: the ServiceMonitor where the environment has prometheus-operator, the annotations elsewhere.
    const serviceMonitor = kinds('ServiceMonitor').length > 0;
    assert.equal(
      Object.fromEntries(Object.entries(pod.metadata.annotations).filter(([k]) => k.startsWith('prometheus.io/'))),
      serviceMonitor
        ? {}
        : { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9187', 'prometheus.io/path': '/metrics' },
    );
    const service = find(objects, 'Service', 'postgresql-metrics');
    assert.ok(matches(service.spec.selector, pod.metadata.labels), 'the metrics Service selects every database pod');
    assert.is(service.spec.ports[0].port, 9187);
    const policy = find(objects, 'NetworkPolicy', 'postgresql-metrics');
    assert.equal(
      policy.spec.ingress.map((rule: any) => rule.ports),
      [[{ port: 9187, protocol: 'TCP' }]],
      'scrapers reach 9187, and only 9187',
    );
  });

  if (seed.monitoring) {
    test(`${environment}: the role init script is mounted by subPath, one file, into the entrypoint's directory`, () => {
      const database = sts.spec.template.spec.containers[0];
      const monitoringVolumes = sts.spec.template.spec.volumes
        .filter((v: any) => v.configMap?.name?.startsWith('postgresql-monitoring-init'))
        .map((v: any) => v.name);
      const initMounts = database.volumeMounts.filter((m: any) => monitoringVolumes.includes(m.name));
      assert.equal(
        initMounts.map((m: any) => [m.mountPath, m.subPath]),
        [['/docker-entrypoint-initdb.d/30-monitoring-role.sh', '30-monitoring-role.sh']],
      );
      const volume = sts.spec.template.spec.volumes.find((v: any) => v.name === initMounts[0].name);
      const configMap = find(objects, 'ConfigMap', 'postgresql-monitoring-init');
      assert.is(volume.configMap.name, configMap.metadata.name);
      assert.ok(configMap.data['30-monitoring-role.sh'].includes('GRANT pg_monitor'));
      assert.is(
        database.env.find((e: any) => e.name === 'MONITORING_PASSWORD').valueFrom.secretKeyRef.key,
        'monitoring-password',
      );
    });
  }

  if (seed.serviceMonitor) {
    test(`${environment}: every alert parses, reads only known metrics, has a severity and a runbook line in docs/monitoring.md`, () => {
      const rule = find(objects, 'PrometheusRule', 'postgresql');
      const alerts = rule.spec.groups.flatMap((group: any) => group.rules);
      const manual = readFileSync(path.join(PROJECT_ROOT, 'docs/monitoring.md'), 'utf8');
      for (const alert of alerts) {
        assert.equal(promqlProblems(alert.expr), [], alert.alert);
        assert.equal(
          metricNames(alert.expr).filter((name) => !KNOWN_METRICS.has(name)),
          [],
          `${alert.alert} reads unknown metrics`,
        );
        assert.match(
          alert.expr,
          `namespace="${rule.metadata.namespace}"`,
          `${alert.alert} watches its own namespace only`,
        );
        assert.ok(['critical', 'warning'].includes(alert.labels.severity), alert.alert);
        assert.ok(
          manual.includes(`**${alert.alert}**`) && manual.includes(alert.annotations.runbook),
          `docs/monitoring.md runbook line for ${alert.alert}`,
        );
      }
    });
  }

  test(`${environment}: ${seed.serviceMonitor ? 'a ServiceMonitor selects exactly the metrics Service, by its port name' : 'no prometheus-operator objects (ServiceMonitor, PrometheusRule): the cluster may lack their CRDs'}`, () => {
    if (!seed.serviceMonitor) return assert.equal([...kinds('ServiceMonitor'), ...kinds('PrometheusRule')], []);
    const monitor = find(objects, 'ServiceMonitor', 'postgresql');
    const selected = objects.filter(
      (o) => o.kind === 'Service' && matches(monitor.spec.selector.matchLabels, o.metadata.labels),
    );
    assert.equal(
      selected.map((s) => s.metadata.name),
      ['postgresql-metrics'],
    );
    assert.ok(selected[0].spec.ports.some((p: any) => p.name === monitor.spec.endpoints[0].port));
  });
}

test('the alerts cover what an on-call engineer needs', () => {
  const alerts = find(rendered('prod'), 'PrometheusRule', 'postgresql').spec.groups.flatMap(
    (group: any) => group.rules,
  );
  const reads = (metric: string) =>
    alerts.filter((a: any) => metricNames(a.expr).includes(metric)).map((a: any) => a.alert);
  assert.ok(reads('pg_up').length && reads('up').length, 'instance down');
  assert.match(
    alerts.find((a: any) => reads('pg_settings_max_connections').includes(a.alert)).expr,
    /> 0\.8$/,
    'connections above 80%',
  );
  assert.ok(
    reads('pg_replication_lag_seconds').length && reads('pg_stat_replication_pg_wal_lsn_diff').length,
    'lag, and standbys not streaming',
  );
  assert.ok(reads('pg_replication_slot_wal_status').length, 'slots retaining WAL');
  assert.match(
    alerts.find((a: any) => reads('kube_cronjob_status_last_successful_time').includes(a.alert)).expr,
    `> ${26 * 3600}`,
    'backup older than 26 hours',
  );
  assert.match(
    alerts.find((a: any) => reads('kubelet_volume_stats_used_bytes').includes(a.alert)).expr,
    /> 0\.85$/,
    'data volume above 85%',
  );
  assert.ok(
    reads('pg_stat_database_deadlocks').length && reads('pg_stat_activity_max_tx_duration').length,
    'deadlocks, long transactions',
  );
});

test('the schema check catches a bad ServiceMonitor and an alert expression that does not parse', async () => {
  const broken = renderedYaml('prod')
    .replace('interval: 30s', 'interval: soon')
    .replace(/expr: pg_up\{/, 'expr: rate(pg_up{');
  const problems = await schemaProblems(broken);
  assert.ok(
    problems.some((p) => p.startsWith('ServiceMonitor/postgresql:') && p.includes('interval')),
    problems.join('\n'),
  );
  assert.ok(
    problems.some(
      (p) => p.startsWith('PrometheusRule/postgresql:') && p.includes('PostgreSQLInstanceDown: syntax error'),
    ),
    problems.join('\n'),
  );
});

test.run();
