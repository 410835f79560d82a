import type { StatefulSet } from 'kubernetes-types/apps/v1';
import type { Container, EnvVar, Volume, VolumeMount } from 'kubernetes-types/core/v1';
import type { Settings } from '../config/environment.ts';
import { names } from './names.ts';
import { restrictedContainerSecurity } from './statefulset.ts';

/** The role standbys stream WAL with; pg_hba.conf admits it for replication and nothing else. */
export const REPLICATION_ROLE = 'replicator';

/** The shell scripts under scripts/postgres/sh that the replication ConfigMap ships. */
export const REPLICATION_SCRIPTS = ['prepare-data.sh', 'replication-lib.sh', 'replication-role.sh'] as const;

export const PREPARE_DATA_CONTAINER = 'prepare-data';
const SCRIPTS_VOLUME = 'replication-scripts';
const SCRIPTS_DIR = '/scripts';
/** Only this file: other features mount their own init scripts beside it, so the directory stays the image's. */
export const ROLE_SCRIPT_PATH = '/docker-entrypoint-initdb.d/20-replication-role.sh';

const secretKey = (key: string): EnvVar['valueFrom'] => ({ secretKeyRef: { name: names.secret, key } });

/** What the scripts need besides the postgres container's own environment (PGDATA, POSTGRES_*). */
function replicationEnv(s: Settings): EnvVar[] {
  return [
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    // In the pod template, so changing it in git rolls every pod: each converges at its start.
    { name: 'PRIMARY_ORDINAL', value: String(s.replication.primaryOrdinal) },
    { name: 'HEADLESS_SERVICE', value: names.headlessService },
    ...roleEnv(),
  ];
}

function roleEnv(): EnvVar[] {
  return [
    { name: 'REPLICATION_USER', value: REPLICATION_ROLE },
    { name: 'REPLICATION_PASSWORD', valueFrom: secretKey('replication-password') },
  ];
}

/**
 * Runs before PostgreSQL in every pod: clones, promotes, rewinds or re-points the data directory
 * (scripts/postgres/sh/prepare-data.sh). Same image, user, mounts and resources as the database
 * container: a promotion starts PostgreSQL with the pod's own configuration.
 */
export function prepareDataContainer(s: Settings, postgres: Container): Container {
  return {
    name: PREPARE_DATA_CONTAINER,
    image: postgres.image,
    command: ['sh', `${SCRIPTS_DIR}/prepare-data.sh`],
    // The server options without "postgres": for the socket-only server a promotion runs.
    args: postgres.args!.slice(1),
    env: [...postgres.env!, ...replicationEnv(s)],
    resources: postgres.resources,
    securityContext: restrictedContainerSecurity,
    volumeMounts: [...postgres.volumeMounts!, { name: SCRIPTS_VOLUME, mountPath: SCRIPTS_DIR, readOnly: true }],
  };
}

/** The database container's additions: the role script, run by the entrypoint at first initialisation. */
function postgresAdditions(): { env: EnvVar[]; volumeMounts: VolumeMount[] } {
  return {
    env: roleEnv(),
    volumeMounts: [{ name: SCRIPTS_VOLUME, mountPath: ROLE_SCRIPT_PATH, subPath: 'replication-role.sh', readOnly: true }],
  };
}

function scriptsVolume(): Volume {
  // Executable: the entrypoint runs an executable *.sh (sourcing it otherwise, into its own shell).
  return { name: SCRIPTS_VOLUME, configMap: { name: names.replicationScripts, defaultMode: 0o555 } };
}

/**
 * The StatefulSet of settings `s` with replication: what base + component + overlay must render.
 * The additions come first in each list, where the component's patch inserts them.
 */
export function replicatedStatefulSet(sts: StatefulSet, s: Settings): StatefulSet {
  const pod = sts.spec!.template.spec!;
  const postgres = pod.containers.find((container) => container.name === names.container)!;
  const additions = postgresAdditions();
  const containers = pod.containers.map((container) => container === postgres
    ? { ...container, env: [...additions.env, ...container.env!], volumeMounts: [...additions.volumeMounts, ...container.volumeMounts!] }
    : container);
  return {
    ...sts,
    spec: {
      ...sts.spec!,
      template: {
        ...sts.spec!.template,
        spec: {
          ...pod,
          initContainers: [prepareDataContainer(s, postgres), ...(pod.initContainers ?? [])],
          containers,
          volumes: [scriptsVolume(), ...(pod.volumes ?? [])],
        },
      },
    },
  };
}

/**
 * The component's JSON patch: the same additions, for the base StatefulSet of settings `s`, each
 * inserted at the front of its list (index 0, 1, …). The "test" makes kustomize fail rather than
 * patch another container if the base's order ever changes.
 */
export function replicationPatch(sts: StatefulSet, s: Settings): object[] {
  const pod = sts.spec!.template.spec!;
  const index = pod.containers.findIndex((container) => container.name === names.container);
  const postgres = `/spec/template/spec/containers/${index}`;
  const additions = postgresAdditions();
  const atFront = (list: string, items: readonly object[]) => items.map((value, i) => ({ op: 'add', path: `${list}/${i}`, value }));
  return [
    { op: 'test', path: `${postgres}/name`, value: names.container },
    { op: 'add', path: '/spec/template/spec/initContainers', value: [prepareDataContainer(s, pod.containers[index])] },
    ...atFront(`${postgres}/env`, additions.env),
    ...atFront(`${postgres}/volumeMounts`, additions.volumeMounts),
    ...atFront('/spec/template/spec/volumes', [scriptsVolume()]),
  ];
}
