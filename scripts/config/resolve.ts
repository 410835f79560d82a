import { acknowledgeProblems } from './acknowledge.ts';
import { backupProblems } from './backup.ts';
import { defaults } from './defaults.ts';
import type { Environment, EnvironmentConfig, Settings } from './environment.ts';
import { ConfigError } from './errors.ts';
import { monitoringProblems } from './monitoring.ts';
import { quantityProblem, quantityValue } from './quantity.ts';
import { credentialsProblems } from './credentials.ts';
import { deliveryProblems } from './delivery.ts';
import { formatBudget, memoryBudget, SHARED_BUFFERS_MAX_SHARE } from '../postgres/memory-budget.ts';
import { parameterProblem } from '../postgres/parameters.ts';
import { withTuning } from '../postgres/tuning.ts';
import { replicationProblems } from './replication.ts';
import { checkShape } from './shape.ts';
import { peersProblems } from './peers.ts';
import { startupProblems } from './startup.ts';
import { DIGEST, majorVersion } from './image.ts';
import { LOCALE_NAME, localeParameters } from '../postgres/locale.ts';
import { tlsProblems } from './tls.ts';
import { pitrProblems } from './pitr.ts';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const IMAGE_NAME = /^[a-z0-9]+([._/-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;
const IMAGE_TAG = /^[\w][\w.-]{0,127}$/;
const SQL_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const ANTI_AFFINITY = ['none', 'preferred', 'required'] as const;

/** The settings base/ is rendered from: the shared defaults, with the parameters derived from their sizes. */
export const baseSettings = (): Settings => withTuning(defaults);

/** The shared defaults, checked as strictly as any environment: base/ is rendered from them. */
export function checkedBaseSettings(): Settings {
  const settings = baseSettings();
  const problems = settingsProblems(settings).map(([field, message]) => `defaults: ${field}: ${message}`);
  if (problems.length) throw new ConfigError(problems);
  return settings;
}

/**
 * Defaults with the environment's overrides applied; `postgresql` parameters merge by name, over
 * the ones derived from the environment's volume, memory and medium (scripts/postgres/tuning.ts).
 */
export function mergedSettings(config: EnvironmentConfig): Settings {
  // The top-level name is the environment's, not a setting; every nested `name` is a setting.
  const { name: _environment, ...overrides } = config;
  const merged = mergeObjects(defaults, overrides) as unknown as Settings;
  // Another locale brings its own lc_* and text search parameters; the environment's own parameters still win.
  const localized =
    config.locale === undefined || config.locale === defaults.locale || typeof config.locale !== 'string'
      ? merged
      : {
          ...merged,
          postgresql: {
            ...merged.postgresql,
            ...localeParameters(config.locale),
            ...(config.postgresql as Settings['postgresql']),
          },
        };
  // tls.conf comes from the tls component, rendered once from the defaults: another minimum protocol
  // reaches the environment's server through its environment.conf, which is included after tls.conf.
  const ownTls =
    merged.tls?.enabled === true &&
    merged.tls.minProtocolVersion !== defaults.tls.minProtocolVersion &&
    (config.postgresql as Settings['postgresql'] | undefined)?.ssl_min_protocol_version === undefined;
  const secured = ownTls
    ? { ...localized, postgresql: { ...localized.postgresql, ssl_min_protocol_version: merged.tls.minProtocolVersion } }
    : localized;
  return withTuning(secured);
}

/**
 * Validates an environment file's export and returns the complete environment.
 * Throws a ConfigError listing every problem, each as `<env>: <field>: <what is allowed>`.
 */
export function resolveEnvironment(config: EnvironmentConfig, source: string): Environment {
  const label = typeof config?.name === 'string' && config.name ? config.name : source;
  const problems: string[] = [];
  const report = (field: string, message: string | undefined) => {
    if (message) problems.push(`${label}: ${field}: ${message}`);
  };

  if (config === null || typeof config !== 'object')
    throw new ConfigError([`${source}: must export default defineEnvironment({...})`]);
  report('name', dnsLabelProblem(config.name, 'an environment name'));
  const shape = checkShape(config);
  for (const [field, message] of shape.problems) report(field, message);

  // Unknown keys and misshapen objects are left out, so every other problem is reported too.
  const settings = mergedSettings(shape.wellShaped as unknown as EnvironmentConfig);
  for (const [field, message] of settingsProblems(settings)) report(field, message);
  if (problems.length) throw new ConfigError(problems);
  return { name: config.name, source, ...settings };
}

/** Every problem with complete settings, as [field path, message] pairs. */
export function settingsProblems(s: Settings): [string, string][] {
  const found: [string, string | undefined][] = [
    ['namespace', dnsLabelProblem(s.namespace, 'a namespace')],
    [
      'replicas',
      Number.isInteger(s.replicas) && s.replicas >= 1
        ? undefined
        : `must be a whole number of at least 1, got ${JSON.stringify(s.replicas)}`,
    ],
    [
      'image.name',
      typeof s.image.name === 'string' && IMAGE_NAME.test(s.image.name)
        ? undefined
        : `must be an image repository such as "postgres" or "registry.example.com/postgres", got ${JSON.stringify(s.image.name)}`,
    ],
    [
      'image.tag',
      typeof s.image.tag === 'string' && IMAGE_TAG.test(s.image.tag)
        ? undefined
        : `must be an image tag (letters, digits, "_", "." and "-", at most 128) such as "16-alpine", got ${JSON.stringify(s.image.tag)}`,
    ],
    [
      'image.digest',
      s.image.digest === undefined || (typeof s.image.digest === 'string' && DIGEST.test(s.image.digest))
        ? undefined
        : `must be a manifest digest "sha256:" and 64 hex digits (docs/configuration.md#image-digests), got ${JSON.stringify(s.image.digest)}`,
    ],
    [
      'monitoring.exporterDigest',
      s.monitoring?.exporterDigest === undefined ||
      (typeof s.monitoring.exporterDigest === 'string' && DIGEST.test(s.monitoring.exporterDigest))
        ? undefined
        : `must be a manifest digest "sha256:" and 64 hex digits (docs/configuration.md#image-digests), got ${JSON.stringify(s.monitoring?.exporterDigest)}`,
    ],
    ['storage.size', quantityProblem(s.storage.size, 'bytes')],
    [
      'storage.medium',
      s.storage.medium === 'ssd' || s.storage.medium === 'hdd'
        ? undefined
        : `must be "ssd" or "hdd" (what the StorageClass's disks are; it sets the planner's costs), got ${JSON.stringify(s.storage.medium)}`,
    ],
    [
      'storage.storageClassName',
      typeof s.storage.storageClassName === 'string' && DNS_SUBDOMAIN.test(s.storage.storageClassName)
        ? undefined
        : `must be a StorageClass name (lowercase DNS subdomain), got ${JSON.stringify(s.storage.storageClassName)}`,
    ],
    ['resources.requests.cpu', quantityProblem(s.resources.requests.cpu, 'cpu')],
    ['resources.requests.memory', quantityProblem(s.resources.requests.memory, 'bytes')],
    ['resources.limits.cpu', quantityProblem(s.resources.limits.cpu, 'cpu')],
    ['resources.limits.memory', quantityProblem(s.resources.limits.memory, 'bytes')],
    [
      'resources.guaranteed',
      typeof s.resources.guaranteed === 'boolean'
        ? undefined
        : `must be true (requests = limits: the Guaranteed QoS class) or false, got ${JSON.stringify(s.resources.guaranteed)}`,
    ],
    ['sharedMemorySize', quantityProblem(s.sharedMemorySize, 'bytes')],
    [
      'podAntiAffinity',
      ANTI_AFFINITY.includes(s.podAntiAffinity)
        ? undefined
        : `must be one of ${ANTI_AFFINITY.join(', ')}, got ${JSON.stringify(s.podAntiAffinity)}`,
    ],
    [
      'database',
      typeof s.database === 'string' && SQL_IDENTIFIER.test(s.database)
        ? undefined
        : `must be a lowercase SQL identifier (a-z, 0-9, "_", not starting with a digit, at most 63), got ${JSON.stringify(s.database)}`,
    ],
    ['namespace', systemNamespaceProblem(s)],
    ['image.name', imageNameTagProblem(s.image.name)],
    [
      'image.tag',
      typeof s.image.tag === 'string' && IMAGE_TAG.test(s.image.tag) && majorVersion(s.image.tag) === undefined
        ? `${JSON.stringify(s.image.tag)} does not say which PostgreSQL major version it runs: a pod restarted later may pull another major version, which refuses to start on the data directory; pin a tag such as "16-alpine" or "16.4"`
        : undefined,
    ],
    ...peersProblems('allowedClients', s.allowedClients, '{ podSelector: {} } (every pod of the namespace)'),
    [
      'locale',
      typeof s.locale === 'string' && LOCALE_NAME.test(s.locale)
        ? undefined
        : `must be a locale such as "en_US.utf8", "de_DE.utf8", "C.UTF-8" or "C", got ${JSON.stringify(s.locale)}`,
    ],
    [
      'applicationRole',
      typeof s.applicationRole === 'string' &&
      SQL_IDENTIFIER.test(s.applicationRole) &&
      !s.applicationRole.startsWith('pg_')
        ? undefined
        : `must be a lowercase SQL identifier (a-z, 0-9, "_", not starting with a digit or "pg_", at most 63), got ${JSON.stringify(s.applicationRole)}`,
    ],
    ...backupProblems(s),
    ...monitoringProblems(s),
    ...tlsProblems(s),
  ];
  found.push(...credentialsProblems(s));
  found.push(...deliveryProblems(s));
  found.push(...replicationProblems(s));
  found.push(...pitrProblems(s));
  found.push(...acknowledgeProblems(s));
  found.push(...startupProblems(s));
  for (const kind of ['cpu', 'memory'] as const) {
    const request = quantityValue(String(s.resources.requests[kind]));
    const limit = quantityValue(String(s.resources.limits[kind]));
    if (request !== undefined && limit !== undefined && request > limit) {
      found.push([
        `resources.requests.${kind}`,
        `request "${s.resources.requests[kind]}" is above the limit "${s.resources.limits[kind]}"; a request must not exceed its limit`,
      ]);
    }
  }
  const shm = quantityValue(String(s.sharedMemorySize));
  const memoryLimit = quantityValue(String(s.resources.limits.memory));
  if (shm !== undefined && memoryLimit !== undefined && shm >= memoryLimit) {
    found.push([
      'sharedMemorySize',
      `"${s.sharedMemorySize}" must be below the memory limit "${s.resources.limits.memory}" (a memory-backed /dev/shm counts toward it)`,
    ]);
  }
  if (s.postgresql === null || typeof s.postgresql !== 'object') {
    found.push(['postgresql', 'must be an object of PostgreSQL parameters such as { max_connections: 100 }']);
  } else {
    for (const [name, value] of Object.entries(s.postgresql))
      found.push([`postgresql.${name}`, parameterProblem(name, value)]);
  }
  const problems = found.filter((entry): entry is [string, string] => entry[1] !== undefined);
  // The budget needs valid numbers; with any problem above, that problem is the one to fix first.
  if (problems.length === 0) {
    const budget = memoryBudget({ parameters: s.postgresql, memoryLimit: memoryLimit!, sharedMemoryLimit: shm! });
    if (!budget.ok) {
      const breakdown = formatBudget(budget)
        .split('\n')
        .map((line) => `      ${line}`)
        .join('\n');
      // The items do not depend on the limit, so the smallest limit that fits follows from them.
      const fits = Math.ceil(Math.max(budget.totalBytes, budget.items[0].bytes / SHARED_BUFFERS_MAX_SHARE) / 2 ** 20);
      problems.push([
        'resources.limits.memory',
        `PostgreSQL may use more memory than the container's limit allows (docs/tuning.md#memory-budget); ` +
          `the smallest limit that fits is "${fits}Mi", or lower the parameters:\n${breakdown}`,
      ]);
    }
  }
  return problems;
}

/** Namespaces of the cluster itself and of the delivery tools: the Flux file would manage their labels, and a prune could delete them. */
function systemNamespaceProblem(s: Settings): string | undefined {
  const system = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
  const delivery = [s.delivery?.argocd?.namespace, s.delivery?.flux?.namespace];
  if (
    typeof s.namespace !== 'string' ||
    !(system.includes(s.namespace) || s.namespace.startsWith('kube-') || delivery.includes(s.namespace))
  )
    return undefined;
  return (
    `"${s.namespace}" belongs to ${delivery.includes(s.namespace) ? 'the delivery tools (delivery.argocd.namespace / delivery.flux.namespace)' : 'the cluster itself'}: ` +
    'the bundle manages its namespace (labels, and deletion by a prune); use a namespace of its own, such as "databases"'
  );
}

/** "postgres:16" is a name and a tag: IMAGE_NAME would read ":16" as a registry port. */
function imageNameTagProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return undefined;
  if (name.includes('@'))
    return `must not carry a digest; put the image repository in image.name, got ${JSON.stringify(name)}`;
  const lastPart = name.slice(name.lastIndexOf('/') + 1);
  const colon = lastPart.indexOf(':');
  if (colon < 0) return undefined;
  return `${JSON.stringify(name)} includes a tag: write image: { name: ${JSON.stringify(name.slice(0, name.length - lastPart.length + colon))}, tag: ${JSON.stringify(lastPart.slice(colon + 1))} }`;
}

function dnsLabelProblem(value: unknown, what: string): string | undefined {
  if (typeof value === 'string' && value.length <= 63 && DNS_LABEL.test(value)) return undefined;
  return `must be ${what} that is a DNS label (lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63), got ${JSON.stringify(value)}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mergeObjects(base: object, override: object): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === undefined) continue;
    const current = merged[key];
    merged[key] = isPlainObject(current) && isPlainObject(value) ? mergeObjects(current, value) : value;
  }
  return merged;
}
