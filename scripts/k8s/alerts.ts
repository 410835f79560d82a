import type { IPrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import type { IServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import type { Settings } from '../config/environment.ts';
import { monitoringLabels, serviceMonitorSelector } from './monitoring.ts';
import { names } from '../vocabulary/names.ts';
import { backupNames, monitoringNames, pitrNames } from '../vocabulary/feature-names.ts';

/** One alerting rule and what the engineer it wakes up does first. */
export interface Alert {
  readonly alert: string;
  readonly expr: string;
  /** How long the condition must hold; none when one sample is enough. */
  readonly for?: string;
  readonly severity: 'critical' | 'warning';
  readonly summary: string;
  /** One line; docs/monitoring.md, has the same line under the alert's name. */
  readonly runbook: string;
}

/**
 * The alerts of one namespace. Metric names are postgres_exporter v0.17's (EXPORTER_IMAGE),
 * kube-state-metrics' and the kubelet's. Every selector names the namespace and the pods, so
 * another PostgreSQL watched by the same Prometheus never fires these.
 */
export function alerts(namespace: string): Alert[] {
  const pods = `namespace="${namespace}", pod=~"${names.statefulSet}-[0-9]+"`;
  const statefulSet = `namespace="${namespace}", statefulset="${names.statefulSet}"`;
  const cronJob = `namespace="${namespace}", cronjob="${backupNames.cronJob}"`;
  const dataClaims = `namespace="${namespace}", persistentvolumeclaim=~"${names.dataVolumeClaim}-${names.statefulSet}-[0-9]+"`;
  const day = 26 * 3600;
  const pitrJobs = `namespace="${namespace}", cronjob=~"${pitrNames.fullCronJob}|${pitrNames.differentialCronJob}"`;
  return [
    {
      alert: 'PostgreSQLInstanceDown',
      expr: `pg_up{${pods}} == 0 or up{${pods}} == 0 or absent(up{${pods}})`,
      for: '2m',
      severity: 'critical',
      summary: 'PostgreSQL {{ $labels.pod }} in {{ $labels.namespace }} is down or not scraped',
      runbook:
        "Check the pod (`kubectl get pods`, `kubectl logs postgresql-N -c postgresql --previous`): a crash loop, a full volume, a failed init script. With the pod up and pg_up 0, read the exporter's log (`-c exporter`): usually a wrong monitoring-password.",
    },
    {
      alert: 'PostgreSQLTooManyConnections',
      expr: `sum by (namespace, pod) (pg_stat_activity_count{${pods}}) / on (namespace, pod) max by (namespace, pod) (pg_settings_max_connections{${pods}}) > 0.8`,
      for: '5m',
      severity: 'warning',
      summary: '{{ $labels.pod }} uses {{ $value | humanizePercentage }} of max_connections',
      runbook:
        'Find who holds them: `select usename, application_name, state, count(*) from pg_stat_activity group by 1, 2, 3 order by 4 desc`; fix the leaking client or put a pooler in front. Raising max_connections needs memory: the build checks it against the limit.',
    },
    {
      alert: 'PostgreSQLReplicationLag',
      expr: `max by (namespace, pod) (pg_replication_lag_seconds{${pods}}) > 300`,
      for: '5m',
      severity: 'warning',
      summary: 'Standby {{ $labels.pod }} replays WAL {{ $value | humanizeDuration }} behind the primary',
      runbook:
        "Readers of postgresql-read see stale data. Compare `pg_stat_replication` on the primary (sent/replay LSN) with the standby's log: a saturated disk or CPU on the standby, or a long query holding replay back (max_standby_streaming_delay).",
    },
    {
      alert: 'PostgreSQLStandbyNotStreaming',
      expr:
        `(count by (namespace) (pg_stat_replication_pg_wal_lsn_diff{${pods}, state="streaming"}) or on (namespace) (max by (namespace) (kube_statefulset_replicas{${statefulSet}}) * 0))` +
        ` < on (namespace) (max by (namespace) (kube_statefulset_replicas{${statefulSet}}) - 1)`,
      for: '5m',
      severity: 'critical',
      summary: 'Fewer standbys stream from the primary in {{ $labels.namespace }} than the StatefulSet has replicas',
      runbook:
        "On the primary, `select application_name, state from pg_stat_replication` names who streams; the missing standby's log says why (authentication, a removed WAL segment needing a re-clone, the pod not running).",
    },
    {
      alert: 'PostgreSQLReplicationSlotRetainingWAL',
      expr:
        `max by (namespace, pod, slot_name) (pg_replication_slot_wal_status{${pods}, wal_status=~"extended|unreserved|lost"})` +
        ` or max by (namespace, pod, slot_name) (pg_replication_slot_slot_is_active{${pods}}) == 0`,
      for: '15m',
      severity: 'warning',
      summary:
        'Replication slot {{ $labels.slot_name }} on {{ $labels.pod }} holds back WAL beyond max_wal_size, or has no consumer',
      runbook:
        "A slot whose consumer is gone keeps every WAL segment until the volume fills: bring the consumer back, or drop the slot (`select pg_drop_replication_slot('name')`) if it is gone for good.",
    },
    {
      alert: 'PostgreSQLBackupTooOld',
      expr:
        `time() - max by (namespace, cronjob) (kube_cronjob_status_last_successful_time{${cronJob}}) > ${day}` +
        ` or (time() - max by (namespace, cronjob) (kube_cronjob_created{${cronJob}}) > ${day} unless on (namespace, cronjob) kube_cronjob_status_last_successful_time{${cronJob}})`,
      severity: 'critical',
      summary: 'The last successful backup in {{ $labels.namespace }} is more than 26 hours old',
      runbook:
        "`kubectl get jobs -l app.kubernetes.io/name=postgresql-backup` and the failed job's log (`kubectl logs job/NAME`): a full backup volume, a wrong password, a dump over its deadline. Take one now with `kubectl create job --from=cronjob/postgresql-backup postgresql-backup-manual` (the alert may clear only at the next scheduled success).",
    },
    {
      alert: 'PostgreSQLWALArchivingFailing',
      // Each failed push takes up to ~80 s (io-timeout 20 s, 4 tries): a 15-minute window sees several.
      expr: `sum by (namespace, pod) (increase(pg_stat_archiver_failed_count{${pods}}[15m])) > 0`,
      for: '10m',
      severity: 'critical',
      summary: 'archive_command keeps failing on {{ $labels.pod }}: WAL is not reaching the pgBackRest repository',
      runbook:
        'Point-in-time recovery stops at the last archived segment and pg_wal grows. `kubectl logs postgresql-N -c postgresql | grep archive-push` names the cause: S3 unreachable or refusing the key (check the postgresql-pgbackrest-repository Secret and the endpoint), or after a failover "already exists ... with a different checksum": compare `pgbackrest info` with the segment and follow docs/backups-and-restore.md. Nothing is lost while PostgreSQL keeps the segments: the archiver resumes by itself once the cause is fixed.',
    },
    {
      alert: 'PostgreSQLWALArchiveStale',
      expr:
        `max by (namespace, pod) (pg_stat_archiver_last_archive_age{${pods}}) > 900` +
        ` and on (namespace, pod) max by (namespace, pod) (pg_replication_is_replica{${pods}}) == 0`,
      for: '5m',
      severity: 'warning',
      summary: 'The primary {{ $labels.pod }} has archived no WAL segment for {{ $value | humanizeDuration }}',
      runbook:
        "With archive_timeout 60 s, a primary that writes archives at least every minute: either nothing was written for 15 minutes (a quiet database: fine), or archive-push hangs without failing. `select * from pg_stat_archiver` and `select count(*) from pg_ls_archive_statusdir() where name like '%.ready'` on the primary show the backlog.",
    },
    {
      alert: 'PostgreSQLPITRBackupTooOld',
      expr:
        `time() - max by (namespace) (kube_cronjob_status_last_successful_time{${pitrJobs}}) > ${day}` +
        ` or (time() - max by (namespace) (kube_cronjob_created{${pitrJobs}}) > ${day} unless on (namespace) max by (namespace) (kube_cronjob_status_last_successful_time{${pitrJobs}}))`,
      severity: 'critical',
      summary: 'The last successful pgBackRest backup in {{ $labels.namespace }} is more than 26 hours old',
      runbook:
        '`kubectl get jobs -l app.kubernetes.io/name=postgresql-pgbackrest-backup` and the failed job\'s log: S3 credentials or endpoint, a certificate the TLS server refuses ("access denied"), no reachable primary. Take one now: `kubectl create job --from=cronjob/postgresql-pgbackrest-diff postgresql-pgbackrest-manual`. Restores replay more WAL the older the last backup is.',
    },
    {
      alert: 'PostgreSQLDataVolumeFilling',
      expr:
        `max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_used_bytes{${dataClaims}})` +
        ` / max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_capacity_bytes{${dataClaims}}) > 0.85`,
      for: '5m',
      severity: 'warning',
      summary: 'Data volume {{ $labels.persistentvolumeclaim }} is {{ $value | humanizePercentage }} full',
      runbook:
        'PostgreSQL stops when the volume is full. Look for retained WAL first (PostgreSQLReplicationSlotRetainingWAL), then grow the claim: `kubectl patch pvc NAME -p \'{"spec":{"resources":{"requests":{"storage":"NEWSIZE"}}}}\'` on each claim (its StorageClass needs allowVolumeExpansion).',
    },
    {
      alert: 'PostgreSQLDeadlocks',
      expr: `sum by (namespace, pod, datname) (increase(pg_stat_database_deadlocks{${pods}}[10m])) > 0`,
      severity: 'warning',
      summary: '{{ $value }} deadlocks in database {{ $labels.datname }} on {{ $labels.pod }} in 10 minutes',
      runbook:
        'The server log has each one ("deadlock detected", with both statements): an application bug, two code paths locking rows in different orders. Tell the application\'s owners; the server is fine.',
    },
    {
      alert: 'PostgreSQLLongRunningTransaction',
      expr: `max by (namespace, pod, datname, usename, application_name) (pg_stat_activity_max_tx_duration{${pods}, usename!="", application_name!="postgresql-backup"}) > 3600`,
      for: '5m',
      severity: 'warning',
      summary:
        'A transaction of {{ $labels.usename }} ({{ $labels.application_name }}) in {{ $labels.datname }} has run for {{ $value | humanizeDuration }}',
      runbook:
        'It blocks vacuum and can hold locks: `select pid, usename, state, xact_start, query from pg_stat_activity order by xact_start limit 5`; ask its owner, or end it with `select pg_terminate_backend(PID)`.',
    },
  ];
}

export function prometheusRule(s: Settings): IPrometheusRule {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: monitoringNames.prometheusRule, labels: { ...monitoringLabels(s), ...s.monitoring.labels } },
    spec: {
      groups: [
        {
          name: 'postgresql',
          rules: alerts(s.namespace).map((a) => ({
            alert: a.alert,
            expr: a.expr,
            for: a.for,
            labels: { severity: a.severity },
            annotations: { summary: a.summary, runbook: a.runbook },
          })),
        },
      ],
    },
  };
}

/** For a prometheus-operator Prometheus: scrapes the metrics Service's endpoints, one per pod. */
export function serviceMonitor(s: Settings): IServiceMonitor {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: { name: monitoringNames.serviceMonitor, labels: { ...monitoringLabels(s), ...s.monitoring.labels } },
    spec: {
      selector: { matchLabels: { ...serviceMonitorSelector } },
      endpoints: [{ port: 'metrics', path: '/metrics', interval: '30s', scrapeTimeout: '10s' }],
    },
  };
}
