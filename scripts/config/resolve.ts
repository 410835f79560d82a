import { acknowledgeProblems } from './acknowledge.ts';
import { backupProblems } from './backup.ts';
import { defaults } from './defaults.ts';
import type { Environment, EnvironmentConfig, Settings } from './environment.ts';
import { ConfigError } from './errors.ts';
import { monitoringProblems } from './monitoring.ts';
import { quantityProblem, quantityValue } from './quantity.ts';
import { credentialsProblems } from './credentials.ts';
import { deliveryProblems } from './delivery.ts';
import { formatBudget, memoryBudget } from '../postgres/memory-budget.ts';
import { parameterProblem } from '../postgres/parameters.ts';
import { replicationProblems } from './replication.ts';
import { pitrProblems } from './pitr.ts';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const IMAGE_NAME = /^[a-z0-9]+([._/-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;
const IMAGE_TAG = /^[\w][\w.-]{0,127}$/;
const SQL_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const ANTI_AFFINITY = ['none', 'preferred', 'required'] as const;
const SETTINGS_KEYS = Object.keys(defaults) as (keyof Settings)[];

/** Defaults with the environment's overrides applied; `postgresql` parameters merge by name. */
export function mergedSettings(config: EnvironmentConfig): Settings {
  return mergeObjects(defaults, config) as unknown as Settings;
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

  if (config === null || typeof config !== 'object') throw new ConfigError([`${source}: must export default defineEnvironment({...})`]);
  report('name', dnsLabelProblem(config.name, 'an environment name'));
  for (const key of Object.keys(config)) {
    if (key !== 'name' && !SETTINGS_KEYS.includes(key as keyof Settings)) {
      report(key, `unknown setting; allowed: name, ${SETTINGS_KEYS.join(', ')}`);
    }
  }
  if (problems.length) throw new ConfigError(problems);

  const settings = mergedSettings(config);
  settingsProblems(settings).forEach(([field, message]) => report(field, message));
  if (problems.length) throw new ConfigError(problems);
  return { name: config.name, source, ...settings };
}

/** Every problem with complete settings, as [field path, message] pairs. */
export function settingsProblems(s: Settings): [string, string][] {
  const found: [string, string | undefined][] = [
    ['namespace', dnsLabelProblem(s.namespace, 'a namespace')],
    ['replicas', Number.isInteger(s.replicas) && s.replicas >= 1 ? undefined : `must be a whole number of at least 1, got ${JSON.stringify(s.replicas)}`],
    ['image.name', typeof s.image.name === 'string' && IMAGE_NAME.test(s.image.name) ? undefined : `must be an image repository such as "postgres" or "registry.example.com/postgres", got ${JSON.stringify(s.image.name)}`],
    ['image.tag', typeof s.image.tag === 'string' && IMAGE_TAG.test(s.image.tag) ? undefined : `must be an image tag (letters, digits, "_", "." and "-", at most 128) such as "16-alpine", got ${JSON.stringify(s.image.tag)}`],
    ['storage.size', quantityProblem(s.storage.size, 'bytes')],
    ['storage.storageClassName', typeof s.storage.storageClassName === 'string' && DNS_SUBDOMAIN.test(s.storage.storageClassName) ? undefined : `must be a StorageClass name (lowercase DNS subdomain), got ${JSON.stringify(s.storage.storageClassName)}`],
    ['resources.requests.cpu', quantityProblem(s.resources.requests.cpu, 'cpu')],
    ['resources.requests.memory', quantityProblem(s.resources.requests.memory, 'bytes')],
    ['resources.limits.cpu', quantityProblem(s.resources.limits.cpu, 'cpu')],
    ['resources.limits.memory', quantityProblem(s.resources.limits.memory, 'bytes')],
    ['sharedMemorySize', quantityProblem(s.sharedMemorySize, 'bytes')],
    ['podAntiAffinity', ANTI_AFFINITY.includes(s.podAntiAffinity) ? undefined : `must be one of ${ANTI_AFFINITY.join(', ')}, got ${JSON.stringify(s.podAntiAffinity)}`],
    ['database', typeof s.database === 'string' && SQL_IDENTIFIER.test(s.database) ? undefined : `must be a lowercase SQL identifier (a-z, 0-9, "_", not starting with a digit, at most 63), got ${JSON.stringify(s.database)}`],
    ['allowedClients', Array.isArray(s.allowedClients) && s.allowedClients.every((peer) => peer && typeof peer === 'object') ? undefined : 'must be a list of NetworkPolicy peers such as { podSelector: {} }'],
    ...backupProblems(s), ...monitoringProblems(s),
  ];
  found.push(...credentialsProblems(s));
  found.push(...deliveryProblems(s));
  found.push(...replicationProblems(s));
  found.push(...pitrProblems(s));
  found.push(...acknowledgeProblems(s));
  for (const kind of ['cpu', 'memory'] as const) {
    const request = quantityValue(String(s.resources.requests[kind]));
    const limit = quantityValue(String(s.resources.limits[kind]));
    if (request !== undefined && limit !== undefined && request > limit) {
      found.push([`resources.requests.${kind}`, `request "${s.resources.requests[kind]}" is above the limit "${s.resources.limits[kind]}"; a request must not exceed its limit`]);
    }
  }
  const shm = quantityValue(String(s.sharedMemorySize));
  const memoryLimit = quantityValue(String(s.resources.limits.memory));
  if (shm !== undefined && memoryLimit !== undefined && shm >= memoryLimit) {
    found.push(['sharedMemorySize', `"${s.sharedMemorySize}" must be below the memory limit "${s.resources.limits.memory}" (a memory-backed /dev/shm counts toward it)`]);
  }
  if (s.postgresql === null || typeof s.postgresql !== 'object') {
    found.push(['postgresql', 'must be an object of PostgreSQL parameters such as { max_connections: 100 }']);
  } else {
    for (const [name, value] of Object.entries(s.postgresql)) found.push([`postgresql.${name}`, parameterProblem(name, value)]);
  }
  const problems = found.filter((entry): entry is [string, string] => entry[1] !== undefined);
  // The budget needs valid numbers; with any problem above, that problem is the one to fix first.
  if (problems.length === 0) {
    const budget = memoryBudget({ parameters: s.postgresql, memoryLimit: memoryLimit!, sharedMemoryLimit: shm! });
    if (!budget.ok) {
      const breakdown = formatBudget(budget).split('\n').map((line) => `      ${line}`).join('\n');
      problems.push(['resources.limits.memory', `PostgreSQL may use more memory than the container's limit allows (README, "Memory budget"):\n${breakdown}`]);
    }
  }
  return problems;
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
    if (value === undefined || key === 'name') continue;
    const current = merged[key];
    merged[key] = isPlainObject(current) && isPlainObject(value) ? mergeObjects(current, value) : value;
  }
  return merged;
}
