import type { CronJob } from 'kubernetes-types/batch/v1';
import type { Container, EnvVar, PersistentVolumeClaim, PodSpec } from 'kubernetes-types/core/v1';
import type { NetworkPolicy } from 'kubernetes-types/networking/v1';
import { imageReference } from './images.ts';
import type { Settings } from '../config/environment.ts';
import { metadataLabels, selectorLabels } from '../vocabulary/labels.ts';
import { names, POSTGRES_PORT } from '../vocabulary/names.ts';
import { backupNames } from '../vocabulary/feature-names.ts';
import { restrictedContainerSecurity, restrictedPodSecurity, secretKey } from './statefulset.ts';
import { backupPaths } from '../vocabulary/paths.ts';

/**
 * Labels of the backup and restore pods. They share no selector label with the database: a backup
 * pod must never be selected by the database's Services, StatefulSet or anti-affinity.
 */
export function backupPodLabels(component: 'backup' | 'restore'): Record<string, string> {
  return {
    'app.kubernetes.io/name': backupNames.cronJob,
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': 'project-template',
  };
}

function objectLabels(s: Settings): Record<string, string> {
  return { ...metadataLabels(s.image.tag), 'app.kubernetes.io/component': 'backup' };
}

/** Where dumps are read from: a standby through the read Service when there is one, sparing the primary. */
export function backupSourceHost(s: Settings): string {
  return s.replicas > 1 ? names.readService : names.service;
}

/** What restore.sh reads: libpq's PG* variables and BACKUP_DIR. */
function restoreEnv(host: string): EnvVar[] {
  return [
    { name: 'PGHOST', value: host },
    { name: 'PGPORT', value: String(POSTGRES_PORT) },
    // The image's POSTGRES_USER is the superuser: dumping every database and the roles needs one.
    { name: 'PGUSER', valueFrom: secretKey('username') },
    { name: 'PGPASSWORD', valueFrom: secretKey('password') },
    { name: 'BACKUP_DIR', value: backupPaths.backups },
  ];
}

/** What backup.sh reads, in a fixed order (overlays patch its values by index). */
export function backupEnv(s: Settings): EnvVar[] {
  return [...restoreEnv(backupSourceHost(s)), { name: 'BACKUP_RETENTION_DAYS', value: String(s.backup.retentionDays) }];
}

function toolContainer(s: Settings, command: string[], env: EnvVar[], backupsReadOnly: boolean): Container {
  return {
    name: backupNames.container,
    // The database's own image: pg_dump and pg_restore match the server's major version.
    image: imageReference(s.image),
    command,
    env,
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } },
    securityContext: restrictedContainerSecurity,
    volumeMounts: [
      { name: 'backups', mountPath: backupPaths.backups, readOnly: backupsReadOnly || undefined },
      { name: 'scripts', mountPath: backupPaths.scripts, readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
    ],
  };
}

function toolPod(container: Container): PodSpec {
  return {
    restartPolicy: 'Never',
    serviceAccountName: names.serviceAccount,
    automountServiceAccountToken: false,
    // The database pod's: uid 70 writes the backup volume (fsGroup makes it writable).
    securityContext: restrictedPodSecurity,
    containers: [container],
    volumes: [
      { name: 'backups', persistentVolumeClaim: { claimName: backupNames.claim } },
      { name: 'scripts', configMap: { name: backupNames.scriptsConfigMap } },
      { name: 'tmp', emptyDir: {} },
    ],
  };
}

/** The nightly logical backup: backup.sh from the scripts ConfigMap, onto the backup volume. */
export function backupCronJob(s: Settings): CronJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: backupNames.cronJob, labels: objectLabels(s) },
    spec: {
      schedule: s.backup.schedule,
      timeZone: 'Etc/UTC',
      // Two dumps at once would compete for the same volume and server for nothing.
      concurrencyPolicy: 'Forbid',
      // A run missed by more than an hour (controller down) is skipped; the backup-age alert fires.
      startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        metadata: { labels: backupPodLabels('backup') },
        spec: {
          // Each retry is a fresh pod and a fresh dump; the deadline bounds all of them.
          backoffLimit: 2,
          activeDeadlineSeconds: 4 * 3600,
          template: {
            metadata: { labels: backupPodLabels('backup') },
            spec: toolPod(toolContainer(s, ['sh', `${backupPaths.scripts}/backup.sh`], backupEnv(s), false)),
          },
        },
      },
    },
  };
}

/**
 * Never runs on its own (suspended): `kubectl create job --from=cronjob/postgresql-restore` starts a
 * pod that waits, with the backups (read-only), the scripts and the primary's connection, for
 * `kubectl exec ... restore.sh` (docs/backups-and-restore.md).
 */
export function restoreCronJob(s: Settings): CronJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: backupNames.restoreCronJob, labels: objectLabels(s) },
    spec: {
      suspend: true,
      // Never due (February 31st); it exists to be copied by `kubectl create job --from`.
      schedule: '0 0 31 2 *',
      timeZone: 'Etc/UTC',
      concurrencyPolicy: 'Forbid',
      successfulJobsHistoryLimit: 1,
      failedJobsHistoryLimit: 1,
      jobTemplate: {
        metadata: { labels: backupPodLabels('restore') },
        spec: {
          backoffLimit: 0,
          activeDeadlineSeconds: 4 * 3600,
          template: {
            metadata: { labels: backupPodLabels('restore') },
            // Writes go to the primary, whatever the replicas.
            spec: toolPod(toolContainer(s, ['sleep', String(4 * 3600)], restoreEnv(names.service), true)),
          },
        },
      },
    },
  };
}

export function backupClaim(s: Settings): PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: backupNames.claim, labels: objectLabels(s) },
    spec: {
      accessModes: ['ReadWriteOnce'],
      storageClassName: s.backup.storage.storageClassName,
      resources: { requests: { storage: s.backup.storage.size } },
    },
  };
}

/**
 * Admits the backup and restore pods to the database's port 5432, whatever `allowedClients` says.
 * A policy of its own: NetworkPolicies add up, and the base policy's rules stay as they are.
 */
export function backupNetworkPolicy(s: Settings): NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: backupNames.networkPolicy, labels: objectLabels(s) },
    spec: {
      podSelector: { matchLabels: { ...selectorLabels } },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': backupNames.cronJob } } }],
          ports: [{ protocol: 'TCP', port: POSTGRES_PORT }],
        },
      ],
    },
  };
}
