import type { StatefulSet } from 'kubernetes-types/apps/v1';
import type { Job } from 'kubernetes-types/batch/v1';
import type { Container, EnvVar, Probe, Volume, VolumeMount } from 'kubernetes-types/core/v1';
import type { Role, RoleBinding } from 'kubernetes-types/rbac/v1';
import type { Settings } from '../config/environment.ts';
import { metadataLabels, PATRONI_SCOPE_LABEL } from '../vocabulary/labels.ts';
import { names, PATRONI_PORT, PATRONI_SCOPE, POSTGRES_PORT, REPLICATION_ROLE } from '../vocabulary/names.ts';
import { restrictedContainerSecurity, restrictedPodSecurity, secretKey } from './statefulset.ts';
import { patroniPaths } from '../vocabulary/paths.ts';

const CONFIG_VOLUME = 'patroni';
const field = (fieldPath: string): EnvVar['valueFrom'] => ({ fieldRef: { fieldPath } });

/**
 * What differs per pod, and the passwords: Patroni reads these over patroni.yml. The pod IP comes
 * first, since the two addresses after it expand it (`$(VAR)` sees only variables listed before it).
 */
export function patroniEnv(): EnvVar[] {
  return [
    { name: 'PATRONI_NAME', valueFrom: field('metadata.name') },
    { name: 'PATRONI_KUBERNETES_NAMESPACE', valueFrom: field('metadata.namespace') },
    { name: 'PATRONI_KUBERNETES_POD_IP', valueFrom: field('status.podIP') },
    { name: 'PATRONI_RESTAPI_CONNECT_ADDRESS', value: `$(PATRONI_KUBERNETES_POD_IP):${PATRONI_PORT}` },
    { name: 'PATRONI_POSTGRESQL_CONNECT_ADDRESS', value: `$(PATRONI_KUBERNETES_POD_IP):${POSTGRES_PORT}` },
    // The superuser is the Secret's username, as the official image's POSTGRES_USER is in a single-replica environment.
    { name: 'PATRONI_SUPERUSER_USERNAME', valueFrom: secretKey('username') },
    { name: 'PATRONI_SUPERUSER_PASSWORD', valueFrom: secretKey('password') },
    { name: 'PATRONI_REPLICATION_USERNAME', value: REPLICATION_ROLE },
    { name: 'PATRONI_REPLICATION_PASSWORD', valueFrom: secretKey('replication-password') },
  ];
}

/** Patroni's REST API answers for Patroni and PostgreSQL together: kubelet asks it, not PostgreSQL. */
function restProbe(path: string, timing: Omit<Probe, 'httpGet'>): Probe {
  return { httpGet: { path, port: PATRONI_PORT, scheme: 'HTTP' }, ...timing };
}

/**
 * The database container under Patroni. /liveness answers while Patroni's loop runs, also while
 * PostgreSQL recovers a crash or a standby clones for an hour: no startup probe has to guess how
 * long that takes. /readiness answers once PostgreSQL runs (a primary, or a streaming standby).
 */
export const patroniContainerFields = {
  command: ['patroni', patroniPaths.config],
  port: { name: 'patroni', containerPort: PATRONI_PORT, protocol: 'TCP' },
  livenessProbe: restProbe('/liveness', { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 }),
  readinessProbe: restProbe('/readiness', { periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 }),
  volumeMount: { name: CONFIG_VOLUME, mountPath: patroniPaths.dir, readOnly: true } satisfies VolumeMount,
} as const;

/**
 * /etc/patroni: the environment's configuration (its overlay's ConfigMap) and the scripts (the
 * component's) in one directory. Two ConfigMaps because kustomize 5 runs an overlay's generators
 * before its components', so an overlay cannot merge its files into a component's ConfigMap.
 */
export function patroniVolume(): Volume {
  return {
    name: CONFIG_VOLUME,
    projected: {
      // Executable: post_bootstrap and the config Job run the scripts directly.
      defaultMode: 0o555,
      sources: [
        { configMap: { name: names.patroniConfigMap } },
        { configMap: { name: names.patroniScriptsConfigMap } },
      ],
    },
  };
}

/** The database container of `postgres` as Patroni runs it: what the component's patch makes of the base's. */
export function patroniContainer(postgres: Container): Container {
  const { args: _args, startupProbe: _startup, ...rest } = postgres;
  return {
    ...rest,
    command: [...patroniContainerFields.command],
    ports: [...postgres.ports!, patroniContainerFields.port],
    env: [...patroniEnv(), ...postgres.env!],
    livenessProbe: patroniContainerFields.livenessProbe,
    readinessProbe: patroniContainerFields.readinessProbe,
    volumeMounts: [patroniContainerFields.volumeMount, ...postgres.volumeMounts!],
  };
}

/**
 * How long a rolling update waits after a pod is ready before it stops the next one: two of
 * Patroni's loops. A primary that has just taken over records its synchronous standby in its next
 * loop; stopping it before then left the cluster without a leader for 40 s in the tests (the
 * stopping primary finds no member to hand over to).
 */
export const minReadySeconds = (s: Settings) => 2 * s.patroni.loopWait;

/**
 * The StatefulSet of settings `s` under Patroni: the container above, the API token Patroni needs
 * (mounted in these pods only: the ServiceAccount itself mounts none), and the scope label Patroni
 * selects its members by. The selector stays the base's: it is immutable.
 */
export function patroniStatefulSet(sts: StatefulSet, s: Settings): StatefulSet {
  const template = sts.spec!.template;
  const pod = template.spec!;
  return {
    ...sts,
    spec: {
      ...sts.spec!,
      minReadySeconds: minReadySeconds(s),
      template: {
        ...template,
        metadata: {
          ...template.metadata,
          labels: { ...template.metadata!.labels, [PATRONI_SCOPE_LABEL]: PATRONI_SCOPE },
        },
        spec: {
          ...pod,
          automountServiceAccountToken: true,
          containers: pod.containers.map((container) =>
            container.name === names.container ? patroniContainer(container) : container,
          ),
          volumes: [patroniVolume(), ...pod.volumes!],
        },
      },
    },
  };
}

/**
 * What Patroni does with the Kubernetes API, in its own namespace only: its ConfigMaps (leader lock,
 * configuration, sync state, failover requests; `create` and `patch` cannot be limited by name),
 * and its member pods (the role label and status annotation). No Endpoints: ConfigMaps mode.
 */
export function patroniRole(version: string): Role {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: names.patroniRole, labels: metadataLabels(version) },
    rules: [
      { apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'get', 'list', 'patch', 'update', 'watch'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'patch', 'update', 'watch'] },
    ],
  };
}

/** The subject's namespace is explicit, as the API needs it; kustomize moves it with the objects when an overlay sets another. */
export function patroniRoleBinding(version: string, namespace: string): RoleBinding {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: names.patroniRole, labels: metadataLabels(version) },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: names.patroniRole },
    subjects: [{ kind: 'ServiceAccount', name: names.serviceAccount, namespace }],
  };
}

/**
 * Applies dcs.yml to the running cluster (scripts/postgres/sh/apply-dcs.sh). Argo CD runs it after
 * each sync and deletes the previous run first; Flux applies it like any object and, since a Job's
 * template is immutable, re-creates it when the template changes (the mounted ConfigMap's hashed
 * name changes with every configuration change). Same image, account and restrictions as the database.
 */
export function patroniConfigJob(s: Settings): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: names.patroniConfigJob,
      labels: { ...metadataLabels(s.image.tag), 'app.kubernetes.io/component': 'patroni-config' },
      annotations: {
        'argocd.argoproj.io/hook': 'PostSync',
        'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
        'kustomize.toolkit.fluxcd.io/force': 'enabled',
      },
    },
    spec: {
      backoffLimit: 10,
      template: {
        metadata: {
          labels: {
            'app.kubernetes.io/name': names.patroniConfigJob,
            'app.kubernetes.io/component': 'patroni-config',
            'app.kubernetes.io/part-of': 'project-template',
          },
        },
        spec: {
          serviceAccountName: names.serviceAccount,
          automountServiceAccountToken: true,
          restartPolicy: 'OnFailure',
          securityContext: restrictedPodSecurity,
          containers: [
            {
              name: 'patronictl',
              image: `${s.image.name}:${s.image.tag}`,
              command: ['sh', patroniPaths.applyDcs],
              env: [
                { name: 'PATRONI_KUBERNETES_NAMESPACE', valueFrom: field('metadata.namespace') },
                { name: 'HOME', value: '/tmp' },
              ],
              resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
              securityContext: restrictedContainerSecurity,
              volumeMounts: [patroniContainerFields.volumeMount, { name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [patroniVolume(), { name: 'tmp', emptyDir: {} }],
        },
      },
    },
  };
}
