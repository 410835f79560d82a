/**
 * One Patroni member of a rendered environment on the test machine: the rendered patroni.yml and
 * container environment with ONLY these changed (everything else, ttl, loop_wait, synchronous_mode,
 * failsafe_mode, parameters, pg_hba.conf, the post_bootstrap script, is used as rendered):
 * - the store: `kubernetes:` (and PATRONI_KUBERNETES_* variables) becomes `etcd3:` on a local etcd;
 * - addresses: the REST API and PostgreSQL listen and advertise 127.0.0.1 on free ports;
 * - paths: every path on one of the container's mounts points into the member's mirror of the pod's
 *   file tree (pod-files.ts), ConfigMap mounts holding copies of the ConfigMaps' files;
 * - bin_dir and PATH: Debian's PostgreSQL 15 (Patroni 3.0.2 predates PostgreSQL 16 support);
 * - the image's defaults the scripts rely on: PGHOST/PGPORT (libpq's default socket and port) and
 *   INITDB_DIR (the post_bootstrap script's override of /docker-entrypoint-initdb.d).
 */
import { chmodSync, chownSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { find } from './rendered.ts';
import { resolvedEnv } from './pod-env.ts';
import { podFiles, type SecretFiles } from './pod-files.ts';

export interface MemberPorts {
  readonly postgresql: number;
  readonly restapi: number;
}

export interface MemberConfig {
  readonly name: string;
  /** patroni.yml as this member runs it. */
  readonly configFile: string;
  /** The container's environment, resolved, with the store's variables removed and the test machine's paths. */
  readonly env: Record<string, string>;
  /** The configuration as Patroni reads it (file and environment merged as Patroni merges them is not attempted: file only). */
  readonly config: Record<string, any>;
  readonly dataDir: string;
  readonly socketDir: string;
}

/** What a rendered environment says about its Patroni cluster, read once. */
export interface PatroniRender {
  readonly replicas: number;
  readonly namespace: string;
  readonly container: Record<string, any>;
  readonly volumes: Record<string, any>[];
  /** patroni.yml exactly as rendered. */
  readonly patroniYml: string;
  readonly objects: Record<string, any>[];
}

export function readPatroniRender(objects: Record<string, any>[]): PatroniRender {
  const sts = find(objects, 'StatefulSet', 'postgresql');
  const container = sts.spec.template.spec.containers.find((c: any) => c.name === 'postgresql');
  const patroni = find(objects, 'ConfigMap', 'postgresql-patroni');
  const patroniYml = patroni.data?.['patroni.yml'];
  if (typeof patroniYml !== 'string') throw new Error(`ConfigMap ${patroni.metadata.name} has no key patroni.yml`);
  // The container must run Patroni on that file: the path its mount gives patroni.yml is on its command line.
  const volume = sts.spec.template.spec.volumes.find(
    (v: any) =>
      v.configMap?.name === patroni.metadata.name ||
      v.projected?.sources?.some((source: any) => source.configMap?.name === patroni.metadata.name),
  );
  const mount = container.volumeMounts?.find((m: any) => m.name === volume?.name);
  const mounted =
    mount &&
    (mount.subPath === 'patroni.yml' ? mount.mountPath : mount.subPath ? undefined : `${mount.mountPath}/patroni.yml`);
  const commandLine: string[] = [...(container.command ?? []), ...(container.args ?? [])];
  if (!mounted || !commandLine.includes(mounted)) {
    throw new Error(
      `the postgresql container does not run Patroni on the ConfigMap's patroni.yml (mounted at ${mounted ?? 'no path'}; command line: ${commandLine.join(' ') || 'the image default'})`,
    );
  }
  // The pod's volumes: the template's, and one per volumeClaimTemplate (the data PVC).
  const claims = (sts.spec.volumeClaimTemplates ?? []).map((claim: any) => ({
    name: claim.metadata.name,
    persistentVolumeClaim: { claimName: claim.metadata.name },
  }));
  return {
    replicas: sts.spec.replicas,
    namespace: sts.metadata.namespace,
    container,
    volumes: [...sts.spec.template.spec.volumes, ...claims],
    patroniYml,
    objects,
  };
}

/** Variables that configure the store (kubernetes), which the test replaces with etcd3. */
const STORE_VARIABLE = /^PATRONI_KUBERNETES_/;
/** Variables holding an address the test machine replaces: the member's listen/advertise addresses. */
const ADDRESS_VARIABLES = {
  PATRONI_RESTAPI_LISTEN: 'restapi',
  PATRONI_RESTAPI_CONNECT_ADDRESS: 'restapi',
  PATRONI_POSTGRESQL_LISTEN: 'postgresql',
  PATRONI_POSTGRESQL_CONNECT_ADDRESS: 'postgresql',
} as const;

/**
 * Writes member `ordinal`'s files under `root` (a directory of the server account) and returns how
 * to start it. `etcdHost` is host:port; `binDir` holds the PostgreSQL programs.
 */
export function memberConfig(
  render: PatroniRender,
  ordinal: number,
  root: string,
  ports: MemberPorts,
  etcdHost: string,
  binDir: string,
  secretFiles?: SecretFiles,
): MemberConfig {
  const name = `postgresql-${ordinal}`;
  const { uid, gid } = statSync(root);

  const { localPaths } = podFiles(render.container, render.volumes, render.objects, root, secretFiles);

  const address = (kind: keyof MemberPorts) => `127.0.0.1:${ports[kind]}`;
  const env = resolvedEnv(render.container, render.objects, name, {
    'metadata.namespace': render.namespace,
    'status.podIP': '127.0.0.1',
    'spec.nodeName': 'test-machine',
  });
  for (const variable of Object.keys(env)) {
    if (STORE_VARIABLE.test(variable)) delete env[variable];
    else if (variable in ADDRESS_VARIABLES)
      env[variable] = address(ADDRESS_VARIABLES[variable as keyof typeof ADDRESS_VARIABLES]);
    else env[variable] = localPaths(env[variable]);
  }
  if (env.PATRONI_POSTGRESQL_BIN_DIR) env.PATRONI_POSTGRESQL_BIN_DIR = binDir;
  // The image's PATH has psql and the server programs (the post_bootstrap script runs psql).
  env.PATH = `${binDir}:/usr/local/bin:/usr/bin:/bin`;

  // YAML 1.1, as Patroni's PyYAML reads it (`mode: off` is false there); comments and order kept.
  const document = YAML.parseDocument(render.patroniYml, { version: '1.1' });
  if (!document.has('kubernetes'))
    throw new Error('patroni.yml has no kubernetes: section (the store the test replaces)');
  document.delete('kubernetes');
  document.set('etcd3', document.createNode({ hosts: [etcdHost] }));
  for (const kind of ['restapi', 'postgresql'] as const) {
    document.setIn([kind, 'listen'], address(kind));
    document.setIn([kind, 'connect_address'], address(kind));
  }
  document.setIn(['postgresql', 'bin_dir'], binDir);
  YAML.visit(document, {
    Scalar(_, node) {
      if (typeof node.value === 'string' && node.value.includes('/')) node.value = localPaths(node.value);
    },
  });
  const config = document.toJS() as Record<string, any>;
  const dataDir: string = env.PATRONI_POSTGRESQL_DATA_DIR ?? config.postgresql?.data_dir;
  const socketDir: string | undefined = config.postgresql?.parameters?.unix_socket_directories;
  for (const [what, value] of [
    ['postgresql.data_dir', dataDir],
    ['postgresql.parameters.unix_socket_directories', socketDir],
  ]) {
    if (!value?.startsWith(root))
      throw new Error(
        `${what} (${value}) is on none of the container's mounts: under a read-only root filesystem the pod cannot write there`,
      );
  }
  const configFile = path.join(root, 'patroni.yml');
  writeFileSync(configFile, document.toString());
  chmodSync(configFile, 0o600);
  chownSync(configFile, uid, gid);
  // Where the image's libpq looks by default (the socket directory, port 5432), for the scripts that
  // rely on it: the member's own socket and port. And the image's init directory, which the
  // post_bootstrap script runs (INITDB_DIR is its override), in the member's mirror of the pod.
  env.PGHOST = socketDir!.split(',')[0].trim();
  env.PGPORT = String(ports.postgresql);
  env.INITDB_DIR = path.join(root, 'fs', 'docker-entrypoint-initdb.d');
  return { name, configFile, env, config, dataDir, socketDir: env.PGHOST };
}
