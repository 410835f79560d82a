import { isDeepStrictEqual } from 'node:util';
import type { Environment, ParameterValue, Settings } from '../config/environment.ts';
import { ENVIRONMENT_LABEL } from '../vocabulary/labels.ts';
import { names } from '../vocabulary/names.ts';
import type { FileTree } from '../output/tree.ts';
import { commentedYaml, objectsYaml } from '../output/yaml.ts';
import { ENVIRONMENT_CONF, environmentConf } from '../postgres/conf.ts';
import { components } from '../components/index.ts';
import { configGenerator, connectionGenerator, connectionLiterals } from './generators.ts';
import { credentialParts } from './credentials.ts';
import { emptyKustomization, type Generator, type Kustomization } from '../kustomize/kustomization.ts';
import { OPENAPI_FILE, openapiSchema } from '../kustomize/openapi.ts';
import { overlayPatches } from '../kustomize/patches.ts';
import { tagWithDigest } from '../k8s/images.ts';
import { EXPORTER_IMAGE } from '../k8s/monitoring.ts';
import { BASE_DIR, COMPONENTS_DIR, OVERLAYS_DIR } from '../vocabulary/layout.ts';

/** Entries of `next` whose values differ from `previous`. */
function changed<V>(next: Readonly<Record<string, V>>, previous: Readonly<Record<string, V>>): Record<string, V> {
  return Object.fromEntries(Object.entries(next).filter(([key, value]) => !isDeepStrictEqual(previous[key], value)));
}

/** overlays/<env>/: only what differs from the base, one file per concern. */
export function overlayFiles(environment: Environment, base: Settings): FileTree {
  const dir = `${OVERLAYS_DIR}/${environment.name}`;
  const files: FileTree = new Map();
  const kustomization: Kustomization = emptyKustomization([`../../${BASE_DIR}`]);
  const comments: Record<string, (string | undefined)[]> = {
    resources: [],
    components: [],
    configMapGenerator: [],
    secretGenerator: [],
    patches: [],
  };
  const enabled = components.filter((component) => component.enabled(environment));
  if (enabled.length)
    kustomization.components = enabled.map((component) => `../../${COMPONENTS_DIR}/${component.name}`);
  comments.components = enabled.map((component) => component.description);
  const deltas = enabled.map((component) => component.deltas?.(environment, base) ?? {});

  if (environment.namespace !== base.namespace) kustomization.namespace = environment.namespace;
  const labels: Record<string, string> = { [ENVIRONMENT_LABEL]: environment.name };
  if (environment.image.tag !== base.image.tag) labels['app.kubernetes.io/version'] = environment.image.tag;
  // Metadata only: selectors stay exactly as in the base, in every environment.
  kustomization.labels = [{ pairs: labels, includeSelectors: false }];
  if (environment.replicas !== base.replicas)
    kustomization.replicas = [{ name: names.statefulSet, count: environment.replicas }];
  const images: NonNullable<Kustomization['images']> = [];
  if (
    environment.image.name !== base.image.name ||
    environment.image.tag !== base.image.tag ||
    environment.image.digest !== base.image.digest
  ) {
    images.push({
      name: base.image.name,
      newName: environment.image.name === base.image.name ? undefined : environment.image.name,
      newTag: tagWithDigest(environment.image.tag, environment.image.digest),
    });
  }
  if (environment.monitoring.enabled && environment.monitoring.exporterDigest) {
    const [name, tag] = EXPORTER_IMAGE.split(/:(?=[^:]+$)/);
    images.push({ name, newTag: tagWithDigest(tag, environment.monitoring.exporterDigest) });
  }
  if (images.length) kustomization.images = images;

  const configMaps: Generator[] = [];
  const parameters: Record<string, ParameterValue> = changed(environment.postgresql, base.postgresql);
  if (Object.keys(parameters).length > 0) {
    files.set(`${dir}/${ENVIRONMENT_CONF}`, environmentConf(environment.name, parameters));
    configMaps.push(configGenerator([ENVIRONMENT_CONF], 'merge'));
    comments.configMapGenerator.push(`Adds ${ENVIRONMENT_CONF}: the PostgreSQL parameters this environment changes.`);
  }
  const connection = changed(connectionLiterals(environment), connectionLiterals(base));
  if (Object.keys(connection).length > 0) {
    configMaps.push(connectionGenerator(connection, 'merge'));
    comments.configMapGenerator.push('Connection details that differ from the base.');
  }
  for (const delta of deltas) {
    configMaps.push(...(delta.configMapGenerator ?? []));
    comments.configMapGenerator.push(...(delta.configMapGenerator ?? []).map(() => undefined));
  }
  if (configMaps.length) kustomization.configMapGenerator = configMaps;
  const credentials = credentialParts(environment);
  const resources = [...credentials.resources, ...deltas.flatMap((delta) => delta.resources ?? [])];
  kustomization.resources.push(...resources.map((resource) => resource.path));
  comments.resources = [undefined, ...resources.map((resource) => resource.comment)];
  const secrets: Generator[] = credentials.secretGenerators.map((entry) => entry.generator);
  comments.secretGenerator.push(...credentials.secretGenerators.map((entry) => entry.comment));
  for (const delta of deltas) secrets.push(...(delta.secretGenerator ?? []));
  if (secrets.length) kustomization.secretGenerator = secrets;
  for (const delta of [credentials, ...deltas])
    for (const [file, content] of delta.files ?? []) files.set(`${dir}/${file}`, content);

  const patches = [
    ...overlayPatches(environment, base),
    ...credentials.patches,
    ...deltas.flatMap((delta) => delta.patches ?? []),
  ];
  if (patches.length) kustomization.patches = patches.map((patch) => ({ path: patch.file, target: patch.target }));
  comments.patches = patches.map((patch) => patch.comment);
  for (const patch of patches) files.set(`${dir}/${patch.file}`, objectsYaml([patch.body]));

  kustomization.openapi = { path: OPENAPI_FILE };
  comments.openapi = [
    'Keeps kustomize 4.x from loading its built-in schema, a second of every build (scripts/kustomize/openapi.ts).',
  ];
  files.set(`${dir}/${OPENAPI_FILE}`, openapiSchema());

  files.set(
    `${dir}/kustomization.yaml`,
    commentedYaml(
      kustomization as unknown as Record<string, unknown>,
      [
        `The ${environment.name} environment: only what differs from the base.`,
        `Rendered from ${environment.source} by \`npm run build:overlays\`: edit that file, not this one.`,
      ],
      comments,
    ),
  );
  return files;
}
