/**
 * A rendered pod's environment on the test machine: the credentials Secret (made here when an
 * ExternalSecret or SealedSecret would fill it in a cluster) and the container's env resolved as
 * the kubelet resolves it.
 */
import { randomBytes } from 'node:crypto';
import { PLACEHOLDER_CREDENTIALS } from '../../scripts/assembly/generators.ts';
import { renderedCredentials } from './credentials.ts';

/**
 * The rendered objects, plus every Secret an ExternalSecret or SealedSecret would fill in a cluster:
 * here the test fills it, key for key, with values made here (the keys git shows in a template, such
 * as the database name, as rendered; a username readable as a role name).
 */
export function withCredentials(objects: Record<string, any>[]): Record<string, any>[] {
  const credentials = renderedCredentials(objects);
  if (credentials.renderedBy === 'nothing')
    throw new Error(
      'the environment renders no credentials (source "existing"): nothing says which keys its Secret has',
    );
  const secrets: Record<string, any>[] = [];
  for (const source of objects.filter((o) => o.kind === 'ExternalSecret' || o.kind === 'SealedSecret')) {
    const external = source.kind === 'ExternalSecret';
    const name: string =
      (external ? source.spec.target?.name : source.spec.template?.metadata?.name) ?? source.metadata.name;
    if (objects.some((o) => o.kind === 'Secret' && o.metadata.name === name)) continue;
    const template: Record<string, string> =
      (external ? source.spec.target?.template?.data : source.spec.template?.data) ?? {};
    const keys: string[] = [
      ...(external ? source.spec.data.map((entry: any) => entry.secretKey) : Object.keys(source.spec.encryptedData)),
      ...Object.keys(template),
    ];
    const username =
      name === credentials.secretName ? PLACEHOLDER_CREDENTIALS.username : `${name.replace(/[^a-z0-9]+/g, '_')}_user`;
    const value = (key: string) =>
      template[key] ?? (key === 'username' ? username : randomBytes(12).toString('base64url'));
    const data = Object.fromEntries(keys.map((key) => [key, Buffer.from(value(key)).toString('base64')]));
    secrets.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, data });
  }
  return [...objects, ...secrets];
}

const decode = (value: string) => Buffer.from(value, 'base64').toString('utf8');

/**
 * A rendered container's environment for pod `podName`, resolved as the kubelet resolves it:
 * Secret and ConfigMap keys, downward-API fields (metadata.name is the pod name; others from
 * `fields`, e.g. status.podIP), and `$(NAME)` references to variables defined earlier in the list.
 */
export function resolvedEnv(
  container: Record<string, any>,
  objects: Record<string, any>[],
  podName: string,
  fields: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const named = (kind: string, name: string) => {
    const object = objects.find((o) => o.kind === kind && o.metadata.name === name);
    if (!object) throw new Error(`${container.name}: no ${kind} ${name} in the rendered output`);
    return object;
  };
  const downward: Record<string, string> = { 'metadata.name': podName, ...fields };
  const env: Record<string, string> = {};
  for (const entry of (container.env ?? []) as Record<string, any>[]) {
    const from = entry.valueFrom;
    let value: string | undefined;
    // The kubelet expands $(NAME) of variables defined before this one, and $$ to a literal $.
    if (!from)
      value = String(entry.value ?? '').replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (match, name) =>
        name === undefined ? '$' : (env[name] ?? match),
      );
    else if (from.secretKeyRef)
      value = decode(named('Secret', from.secretKeyRef.name).data[from.secretKeyRef.key] ?? '');
    else if (from.configMapKeyRef) value = named('ConfigMap', from.configMapKeyRef.name).data[from.configMapKeyRef.key];
    else if (from.fieldRef) value = downward[from.fieldRef.fieldPath];
    if (value === undefined) throw new Error(`${container.name}: cannot resolve env ${entry.name}`);
    env[entry.name] = value;
  }
  return env;
}
