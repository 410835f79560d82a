import type { StatefulSet } from 'kubernetes-types/apps/v1';
import type { Affinity, Container, EnvVar, PodSecurityContext, SecurityContext } from 'kubernetes-types/core/v1';
import type { Settings } from '../config/environment.ts';
import { applicationInitMount, applicationInitVolume, applicationRoleEnv } from './application-role.ts';
import { ARGOCD_KEEP } from './gitops.ts';
import { imageReference } from './images.ts';
import { livenessProbe, readinessProbe, startupProbe } from './probes.ts';
import { metadataLabels, podLabels, selectorLabels } from '../vocabulary/labels.ts';
import { names, POSTGRES_PORT } from '../vocabulary/names.ts';
import { zoneSpreadConstraints } from './zone-spread.ts';
import { paths } from '../vocabulary/paths.ts';

/** The alpine image's postgres user and group. (999 is the Debian image's; the seed mixed them up.) */
export const POSTGRES_UID = 70;

/** The pod annotation naming the container `kubectl exec/logs` pick by default. */
const DEFAULT_CONTAINER = 'kubectl.kubernetes.io/default-container';

/** A variable's value from a key of the server's Secret (postgresql-secret). */
export const secretKey = (key: string): EnvVar['valueFrom'] => ({ secretKeyRef: { name: names.secret, key } });

/** Pod Security Standards "restricted", plus a read-only root filesystem. */
export const restrictedContainerSecurity: SecurityContext = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  runAsUser: POSTGRES_UID,
  runAsGroup: POSTGRES_UID,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

/** The pod's side of "restricted": uid/gid 70, and the volumes' group made 70 only when it is not already. */
export const restrictedPodSecurity: PodSecurityContext = {
  runAsNonRoot: true,
  runAsUser: POSTGRES_UID,
  runAsGroup: POSTGRES_UID,
  fsGroup: POSTGRES_UID,
  fsGroupChangePolicy: 'OnRootMismatch',
  seccompProfile: { type: 'RuntimeDefault' },
};

function postgresContainer(s: Settings): Container {
  return {
    name: names.container,
    image: imageReference(s.image),
    // The image's entrypoint initialises an empty PGDATA, then execs these arguments.
    args: [
      'postgres',
      '-c',
      `config_file=${paths.config}/postgresql.conf`,
      '-c',
      `hba_file=${paths.config}/pg_hba.conf`,
    ],
    ports: [{ name: 'postgresql', containerPort: POSTGRES_PORT, protocol: 'TCP' }],
    env: [
      { name: 'POSTGRES_DB', valueFrom: secretKey('database') },
      { name: 'POSTGRES_USER', valueFrom: secretKey('username') },
      { name: 'POSTGRES_PASSWORD', valueFrom: secretKey('password') },
      { name: 'PGDATA', value: paths.pgdata },
      ...applicationRoleEnv,
    ],
    resources: {
      // Guaranteed QoS (resources.guaranteed) reserves the limits: requests equal to them.
      requests: s.resources.guaranteed
        ? { cpu: s.resources.limits.cpu, memory: s.resources.limits.memory }
        : { cpu: s.resources.requests.cpu, memory: s.resources.requests.memory },
      limits: { cpu: s.resources.limits.cpu, memory: s.resources.limits.memory },
    },
    // Probes read postmaster.pid instead of connecting (k8s/probes.ts): no log line per probe, and a
    // server in crash recovery is alive however long recovery takes. The startup probe waits for the
    // postmaster listening on TCP: initdb and the init scripts of a first start get 5 minutes.
    startupProbe: startupProbe({ periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 30 }),
    livenessProbe: livenessProbe({
      initialDelaySeconds: 30,
      periodSeconds: 10,
      timeoutSeconds: 5,
      failureThreshold: 6,
    }),
    readinessProbe: readinessProbe({
      initialDelaySeconds: 10,
      periodSeconds: 5,
      timeoutSeconds: 3,
      failureThreshold: 3,
    }),
    securityContext: restrictedContainerSecurity,
    volumeMounts: [
      { name: names.dataVolumeClaim, mountPath: paths.dataMount },
      { name: 'config', mountPath: paths.config, readOnly: true },
      { name: 'run', mountPath: paths.socket },
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'dshm', mountPath: '/dev/shm' },
      applicationInitMount,
    ],
  };
}

/** Pods of one environment on different nodes: a node failure then takes at most one replica. */
export function podAntiAffinity(mode: Settings['podAntiAffinity']): Affinity | undefined {
  const term = { labelSelector: { matchLabels: { ...selectorLabels } }, topologyKey: 'kubernetes.io/hostname' };
  if (mode === 'preferred')
    return {
      podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term }] },
    };
  if (mode === 'required') return { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } };
  return undefined;
}

export function statefulSet(s: Settings): StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: names.statefulSet, labels: metadataLabels(s.image.tag) },
    spec: {
      serviceName: names.headlessService,
      replicas: s.replicas,
      selector: { matchLabels: { ...selectorLabels } },
      // Pods start together: with the primary at any ordinal (docs/replication-and-failover.md),
      // OrderedReady would keep a lower-ordinal standby waiting for a primary it never lets start.
      // The field cannot change on an existing StatefulSet, so it is the same for every replica count.
      podManagementPolicy: 'Parallel',
      updateStrategy: { type: 'RollingUpdate' },
      // Deleting or scaling down the StatefulSet must never delete a database's volume.
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      template: {
        // `kubectl exec/logs postgresql-0` keeps meaning the database when a sidecar joins it.
        metadata: { labels: { ...podLabels }, annotations: { [DEFAULT_CONTAINER]: names.container } },
        spec: {
          serviceAccountName: names.serviceAccount,
          automountServiceAccountToken: false,
          // The image's STOPSIGNAL is SIGINT (fast shutdown): open transactions are rolled back and
          // a checkpoint is written; 60s leaves room for that checkpoint on a busy server.
          terminationGracePeriodSeconds: 60,
          securityContext: restrictedPodSecurity,
          affinity: podAntiAffinity(s.podAntiAffinity),
          topologySpreadConstraints: zoneSpreadConstraints(s.zoneSpread),
          containers: [postgresContainer(s)],
          volumes: [
            { name: 'config', configMap: { name: names.configMap } },
            // The root filesystem is read-only: the socket, temp files and shared memory need somewhere to go.
            { name: 'run', emptyDir: {} },
            { name: 'tmp', emptyDir: {} },
            { name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: s.sharedMemorySize } },
            applicationInitVolume,
          ],
        },
      },
      volumeClaimTemplates: [
        {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          // Copied onto every claim: Argo CD must never prune or delete a database's volume.
          metadata: { name: names.dataVolumeClaim, labels: { ...podLabels }, annotations: { ...ARGOCD_KEEP } },
          spec: {
            accessModes: ['ReadWriteOnce'],
            storageClassName: s.storage.storageClassName,
            resources: { requests: { storage: s.storage.size } },
          },
        },
      ],
    },
  };
}
