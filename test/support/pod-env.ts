/**
 * A rendered pod's environment on the test machine: the credentials Secret (made here when an
 * ExternalSecret or SealedSecret would fill it in a cluster) and the container's env resolved as
 * the kubelet resolves it.
 */
import { randomBytes } from 'node:crypto';
import { PLACEHOLDER_CREDENTIALS } from '../../scripts/kustomize/generators.ts';
import { renderedCredentials } from './credentials.ts';

/**
 * The rendered objects, plus the credentials Secret when the bundle does not render it: in a cluster
 * an ExternalSecret or SealedSecret fills it; here the test does, key for key, with values made here.
 */
export function withCredentials(objects: Record<string, any>[]): Record<string, any>[] {
  const credentials = renderedCredentials(objects);
  if (credentials.renderedBy === 'Secret') return objects;
  if (!credentials.keys) throw new Error('the environment renders no credentials (source "existing"): nothing says which keys its Secret has');
  const value = (key: string) => (key === 'database' ? credentials.database : key === 'username' ? PLACEHOLDER_CREDENTIALS.username : undefined) ?? randomBytes(12).toString('base64url');
  const data = Object.fromEntries(credentials.keys.map((key) => [key, Buffer.from(value(key)).toString('base64')]));
  return [...objects, { apiVersion: 'v1', kind: 'Secret', metadata: { name: credentials.secretName }, data }];
}

const decode = (value: string) => Buffer.from(value, 'base64').toString('utf8');

/**
 * A rendered container's environment for pod `podName`, resolved as the kubelet resolves it:
 * Secret and ConfigMap keys, downward-API fields (metadata.name is the pod name; others from
 * `fields`, e.g. status.podIP), and `$(NAME)` references to variables defined earlier in the list.
 */
export function resolvedEnv(container: Record<string, any>, objects: Record<string, any>[], podName: string, fields: Readonly<Record<string, string>> = {}): Record<string, string> {
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
    if (!from) value = String(entry.value ?? '').replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (match, name) => (name === undefined ? '$' : env[name] ?? match));
    else if (from.secretKeyRef) value = decode(named('Secret', from.secretKeyRef.name).data[from.secretKeyRef.key] ?? '');
    else if (from.configMapKeyRef) value = named('ConfigMap', from.configMapKeyRef.name).data[from.configMapKeyRef.key];
    else if (from.fieldRef) value = downward[from.fieldRef.fieldPath];
    if (value === undefined) throw new Error(`${container.name}: cannot resolve env ${entry.name}`);
    env[entry.name] = value;
  }
  return env;
}
