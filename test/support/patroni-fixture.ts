/**
 * Until the Patroni render of issue 13 is on this branch: the committed generated/<env>.yaml with
 * test/fixtures/patroni/render.yaml spliced in (a ConfigMap, the postgresql container's command,
 * env and mount). Removed once generated/prod.yaml and generated/staging.yaml render Patroni.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { PROJECT_ROOT } from './cli.ts';
import { find, rendered } from './rendered.ts';

const FIXTURE = path.join(PROJECT_ROOT, 'test/fixtures/patroni/render.yaml');

/** True when the committed render already has Patroni's ConfigMap: then the fixture is not used. */
export const rendersPatroni = (objects: Record<string, any>[]) =>
  objects.some((o) => o.kind === 'ConfigMap' && /^postgresql-patroni-[a-z0-9]{10}$/.test(o.metadata.name));

/** generated/<env>.yaml as objects, Patroni's parts from the fixture when the render lacks them. */
export function patroniRender(environment: string): Record<string, any>[] {
  const objects = rendered(environment);
  if (rendersPatroni(objects)) return objects;
  const fixture = YAML.parse(readFileSync(FIXTURE, 'utf8'));
  const sts = find(objects, 'StatefulSet', 'postgresql');
  const environmentConf: string = find(objects, 'ConfigMap', 'postgresql-config').data['environment.conf'];
  const maxConnections = /^max_connections = (\d+)$/m.exec(environmentConf)?.[1] ?? '100';
  const data = { ...fixture.configMap.data };
  data['patroni.yml'] = data['patroni.yml']
    .replace('SYNCHRONOUS_MODE', String(sts.spec.replicas > 2))
    .replace('MAX_CONNECTIONS', maxConnections);
  const spec = sts.spec.template.spec;
  // The home-made replication scripts and their init container are what Patroni replaces.
  delete spec.initContainers;
  spec.volumes = [...spec.volumes.filter((v: any) => v.name !== 'replication-scripts'), fixture.volume];
  const container = spec.containers.find((c: any) => c.name === 'postgresql');
  container.command = fixture.container.command;
  delete container.args;
  container.env = fixture.container.env;
  container.volumeMounts = [...container.volumeMounts.filter((m: any) => m.name !== 'replication-scripts'), fixture.container.volumeMount];
  return [...objects, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: fixture.configMap.name, namespace: sts.metadata.namespace }, data }];
}
