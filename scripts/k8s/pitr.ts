import path from 'node:path';
import type { CronJob } from 'kubernetes-types/batch/v1';
import type { Container, EnvVar, ServiceAccount, Volume, VolumeMount } from 'kubernetes-types/core/v1';
import type { NetworkPolicy } from 'kubernetes-types/networking/v1';
import type { Settings } from '../config/environment.ts';
import { BACKUP_CLIENT_CN, POD_CONFIG_PATH, POD_LAYOUT, STANZA } from '../postgres/pgbackrest-conf.ts';
import { metadataLabels, selectorLabels } from '../vocabulary/labels.ts';
import { names } from '../vocabulary/names.ts';
import { PGBACKREST_TLS_PORT, pitrNames } from '../vocabulary/feature-names.ts';
import { restrictedContainerSecurity, restrictedPodSecurity } from './statefulset.ts';
import { PITR_SECRET_KEYS } from '../vocabulary/secret-keys.ts';

export const BACKUP_CONFIG_FILE = 'backup.conf';
const CONFIG_DIR = '/etc/pgbackrest';

export function pitrLabels(s: Settings): Record<string, string> {
  return { ...metadataLabels(s.image.tag), 'app.kubernetes.io/component': 'backup' };
}

const secretKey = (name: string, key: string): EnvVar['valueFrom'] => ({ secretKeyRef: { name, key } });

/**
 * The repository's secrets, as pgBackRest reads them from the environment. The stanza too: the
 * restore_command pgBackRest writes has no --stanza, so a restored server finds it only here.
 * The passphrase comes last, after every variable that does not depend on the settings.
 */
export function repositoryEnv(): EnvVar[] {
  return [
    { name: 'PGBACKREST_STANZA', value: STANZA },
    { name: 'PGBACKREST_REPO1_S3_KEY', valueFrom: secretKey(pitrNames.secret, PITR_SECRET_KEYS.s3Key) },
    { name: 'PGBACKREST_REPO1_S3_KEY_SECRET', valueFrom: secretKey(pitrNames.secret, PITR_SECRET_KEYS.s3KeySecret) },
  ];
}

/** With repository encryption, the passphrase. */
export function cipherEnv(s: Settings): EnvVar[] {
  return s.pitr.encryption
    ? [{ name: 'PGBACKREST_REPO1_CIPHER_PASS', valueFrom: secretKey(pitrNames.secret, PITR_SECRET_KEYS.cipherPass) }]
    : [];
}

/** The CA of the S3 endpoint, when it is not one the image trusts. */
export function caVolumes(s: Settings): Volume[] {
  const ca = s.pitr.repository.ca;
  if (!ca) return [];
  const items = [{ key: ca.key, path: 'ca.crt' }];
  return [
    ca.kind === 'Secret'
      ? { name: 'pgbackrest-repository-ca', secret: { secretName: ca.name, items } }
      : { name: 'pgbackrest-repository-ca', configMap: { name: ca.name, items } },
  ];
}

export function caMounts(s: Settings): VolumeMount[] {
  return s.pitr.repository.ca
    ? [{ name: 'pgbackrest-repository-ca', mountPath: path.dirname(POD_LAYOUT.caFile), readOnly: true }]
    : [];
}

const configMount: VolumeMount = {
  name: 'pgbackrest-config',
  mountPath: POD_CONFIG_PATH,
  subPath: 'pgbackrest.conf',
  readOnly: true,
};
const workMount: VolumeMount = { name: 'pgbackrest', mountPath: POD_LAYOUT.workDir };

/**
 * What the database container gets (archive-push and archive-get run in it): first what every
 * environment has, then what depends on its settings (passphrase, CA), so overlays append those.
 */
export function databaseAdditions(s: Settings): { env: EnvVar[]; volumeMounts: VolumeMount[] } {
  return { env: [...repositoryEnv(), ...cipherEnv(s)], volumeMounts: [configMount, workMount, ...caMounts(s)] };
}

/** The pod's volumes for pgBackRest: its config, a writable work directory, its TLS certificate, the CA. */
export function podVolumes(s: Settings): Volume[] {
  return [
    { name: 'pgbackrest-config', configMap: { name: pitrNames.configMap } },
    { name: 'pgbackrest', emptyDir: {} },
    { name: 'pgbackrest-tls', secret: { secretName: pitrNames.serverTls, defaultMode: 0o440 } },
    ...caVolumes(s),
  ];
}

/**
 * `pgbackrest server` beside PostgreSQL: the backup job reaches each member through it (TLS,
 * client certificate checked by CN), so no one needs `kubectl exec`. It reads PGDATA and connects
 * to the local socket as the superuser when a backup runs.
 */
export function sidecarContainer(s: Settings): Container {
  return {
    name: pitrNames.container,
    image: `${s.image.name}:${s.image.tag}`,
    command: ['pgbackrest', 'server'],
    ports: [{ name: 'pgbackrest', containerPort: PGBACKREST_TLS_PORT, protocol: 'TCP' }],
    env: [
      ...repositoryEnv(),
      { name: 'PGBACKREST_PG1_USER', valueFrom: secretKey(names.secret, 'username') },
      { name: 'PGPASSWORD', valueFrom: secretKey(names.secret, 'password') },
      ...cipherEnv(s),
    ],
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '1', memory: '512Mi' } },
    readinessProbe: { tcpSocket: { port: 'pgbackrest' }, periodSeconds: 10 },
    securityContext: restrictedContainerSecurity,
    volumeMounts: [
      configMount,
      workMount,
      { name: 'pgbackrest-tls', mountPath: POD_LAYOUT.tlsDir, readOnly: true },
      { name: names.dataVolumeClaim, mountPath: '/var/lib/postgresql/data', readOnly: true },
      { name: 'run', mountPath: POD_LAYOUT.socketDir },
      { name: 'tmp', mountPath: '/tmp' },
      ...caMounts(s),
    ],
  };
}

function backupJob(s: Settings, name: string, schedule: string, type: 'full' | 'diff'): CronJob {
  const labels = {
    'app.kubernetes.io/name': pitrNames.jobPodName,
    'app.kubernetes.io/component': 'backup',
    'app.kubernetes.io/part-of': 'project-template',
  };
  const container: Container = {
    name: pitrNames.container,
    // The database's image: the same pgBackRest version as the members it talks to.
    image: `${s.image.name}:${s.image.tag}`,
    // stanza-create is a no-op once the stanza exists, and creates it on the first run.
    command: ['sh', '-c', `pgbackrest stanza-create && exec pgbackrest backup --type=${type}`],
    env: [
      { name: 'PGBACKREST_CONFIG', value: `${CONFIG_DIR}/${BACKUP_CONFIG_FILE}` },
      ...repositoryEnv(),
      ...cipherEnv(s),
    ],
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '2', memory: '1Gi' } },
    securityContext: restrictedContainerSecurity,
    volumeMounts: [
      {
        name: 'pgbackrest-config',
        mountPath: `${CONFIG_DIR}/${BACKUP_CONFIG_FILE}`,
        subPath: BACKUP_CONFIG_FILE,
        readOnly: true,
      },
      { name: 'pgbackrest', mountPath: POD_LAYOUT.workDir },
      { name: 'pgbackrest-tls', mountPath: POD_LAYOUT.tlsDir, readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
      ...caMounts(s),
    ],
  };
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, labels: pitrLabels(s) },
    spec: {
      schedule,
      timeZone: 'Etc/UTC',
      concurrencyPolicy: 'Forbid',
      // A run missed by more than an hour is skipped; the backup-age alert fires.
      startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        metadata: { labels },
        spec: {
          backoffLimit: 2,
          activeDeadlineSeconds: 20 * 3600,
          template: {
            metadata: { labels },
            spec: {
              restartPolicy: 'Never',
              serviceAccountName: pitrNames.serviceAccount,
              // The job talks to pgBackRest's TLS servers and to S3, never to the Kubernetes API.
              automountServiceAccountToken: false,
              securityContext: restrictedPodSecurity,
              containers: [container],
              volumes: [
                { name: 'pgbackrest-config', configMap: { name: pitrNames.configMap } },
                { name: 'pgbackrest', emptyDir: {} },
                { name: 'pgbackrest-tls', secret: { secretName: pitrNames.clientTls, defaultMode: 0o440 } },
                { name: 'tmp', emptyDir: {} },
                ...caVolumes(s),
              ],
            },
          },
        },
      },
    },
  };
}

/** Full on the full schedule, differential on the other; each expires what retention no longer needs. */
export function backupCronJobs(s: Settings): CronJob[] {
  return [
    backupJob(s, pitrNames.fullCronJob, s.pitr.schedule.full, 'full'),
    backupJob(s, pitrNames.differentialCronJob, s.pitr.schedule.differential, 'diff'),
  ];
}

export function pitrServiceAccount(s: Settings): ServiceAccount {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: pitrNames.serviceAccount, labels: pitrLabels(s) },
    automountServiceAccountToken: false,
  };
}

/** Only the backup jobs' pods reach pgBackRest's TLS servers; the certificate's CN is the second lock. */
export function pitrNetworkPolicy(s: Settings): NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: pitrNames.networkPolicy, labels: pitrLabels(s) },
    spec: {
      podSelector: { matchLabels: { ...selectorLabels } },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': pitrNames.jobPodName } } }],
          ports: [{ protocol: 'TCP', port: PGBACKREST_TLS_PORT }],
        },
      ],
    },
  };
}

/** cert-manager Certificates: the members' server certificate and the backup job's client certificate. */
export function certificates(s: Settings): object[] {
  const issuerRef = { group: 'cert-manager.io', kind: s.pitr.tls.issuerRef.kind, name: s.pitr.tls.issuerRef.name };
  const certificate = (name: string, spec: Record<string, unknown>) => ({
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name, labels: pitrLabels(s) },
    spec: {
      secretName: name,
      issuerRef,
      duration: '2160h',
      renewBefore: '360h',
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
      ...spec,
    },
  });
  return [
    // The job connects to postgresql-N.postgresql-headless: one wildcard covers every member.
    certificate(pitrNames.serverTls, {
      commonName: `${names.statefulSet}.${names.headlessService}`,
      dnsNames: [`*.${names.headlessService}`],
      usages: ['digital signature', 'key encipherment', 'server auth'],
    }),
    certificate(pitrNames.clientTls, {
      commonName: BACKUP_CLIENT_CN,
      usages: ['digital signature', 'key encipherment', 'client auth'],
    }),
  ];
}
