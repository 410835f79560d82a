import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defaults } from '../scripts/config/defaults.ts';
import type { EnvironmentConfig } from '../scripts/config/environment.ts';
import { ConfigError } from '../scripts/config/errors.ts';
import { resolveEnvironment } from '../scripts/config/resolve.ts';
import { findKustomize } from '../scripts/kustomize/binary.ts';
import { renderBundle } from '../scripts/pipeline.ts';
import { GENERATED_DIR } from '../scripts/vocabulary/layout.ts';

/**
 * Every leaf of Settings, found by walking `defaults` (so a new setting is covered as soon as it has
 * a default), set to a value other than its default reaches what the build writes: the rendered
 * files differ from those of the same environment without that one change. This is the test that
 * would have caught `mergeObjects` skipping every key called `name`.
 */
const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Objects whose keys are the user's: the object itself is the leaf, not keys of the default. */
const OPEN_OBJECTS = ['credentials.externalSecrets.remoteRefs'];

function leaves(object: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(object).flatMap(([key, value]) => {
    const field = prefix ? `${prefix}.${key}` : key;
    return isPlainObject(value) && !OPEN_OBJECTS.includes(field) ? leaves(value, field) : [field];
  });
}

/** A non-default value per leaf; `with` is what the value needs to have an effect (also in the baseline). */
interface Change {
  readonly value: unknown;
  readonly with?: EnvironmentConfig extends infer T ? Omit<Partial<T>, 'name'> : never;
}

/** Standbys run Patroni, which needs the project's image (the official one is refused with replicas > 1). */
const PATRONI = {
  replicas: 2,
  image: { name: 'ghcr.io/penguintechinc/postgresql-patroni', tag: '16-alpine-patroni4.0.6' },
} as const;

/** Archiving to an S3 repository needs one: the other pitr leaves are checked with it on. */
const PITR = { pitr: { enabled: true, repository: { endpoint: 's3.example.com', bucket: 'reach-backups' } } } as const;

const CHANGES: Record<string, Change> = {
  'pitr.enabled': { value: true, with: { pitr: { repository: PITR.pitr.repository } } },
  'pitr.repository.endpoint': { value: 'minio.storage:9000', with: PITR },
  'pitr.repository.bucket': { value: 'other-bucket', with: PITR },
  'pitr.repository.region': { value: 'eu-central-1', with: PITR },
  'pitr.repository.path': { value: '/reach', with: PITR },
  'pitr.repository.uriStyle': { value: 'path', with: PITR },
  'pitr.repository.ca': { value: { kind: 'Secret', name: 'reach-s3-ca', key: 'ca.crt' }, with: PITR },
  'pitr.repository.verifyTls': { value: false, with: PITR },
  'pitr.credentials.source': { value: 'existing', with: PITR },
  'pitr.credentials.externalSecrets.storeRef.kind': { value: 'SecretStore', with: PITR },
  'pitr.credentials.externalSecrets.storeRef.name': { value: 'vault-backups', with: PITR },
  'pitr.credentials.externalSecrets.remoteKey': { value: 'backups/reach', with: PITR },
  'pitr.credentials.externalSecrets.refreshInterval': { value: '30m', with: PITR },
  'pitr.encryption': { value: false, with: PITR },
  'pitr.schedule.full': { value: '0 3 * * 6', with: PITR },
  'pitr.schedule.differential': { value: '0 3 * * 0-5', with: PITR },
  'pitr.retentionDays': { value: 14, with: PITR },
  'pitr.tls.source': { value: 'existing', with: PITR },
  'pitr.tls.issuerRef.kind': { value: 'Issuer', with: PITR },
  'pitr.tls.issuerRef.name': { value: 'reach-ca', with: PITR },
  namespace: { value: 'reach-databases' },
  replicas: { value: 2, with: { image: PATRONI.image } },
  'image.name': { value: 'registry.example.com/mirror/postgres' },
  'image.tag': { value: '16.4-alpine' },
  'storage.size': { value: '12Gi' },
  'storage.storageClassName': { value: 'fast-ssd' },
  'storage.medium': { value: 'hdd' },
  'resources.requests.cpu': { value: '300m' },
  'resources.requests.memory': { value: '600Mi' },
  'resources.limits.cpu': { value: '750m' },
  'resources.limits.memory': { value: '1500Mi' },
  sharedMemorySize: { value: '96Mi' },
  'postgresql.max_connections': { value: 90 },
  'postgresql.shared_buffers': { value: '200MB' },
  'postgresql.work_mem': { value: '1MB' },
  'postgresql.wal_level': { value: 'logical' },
  'postgresql.hot_standby': { value: false },
  'postgresql.hot_standby_feedback': { value: false },
  'postgresql.wal_log_hints': { value: false },
  'postgresql.max_slot_wal_keep_size': { value: '3GB' },
  'postgresql.log_connections': { value: false },
  'postgresql.log_disconnections': { value: false },
  'postgresql.log_line_prefix': { value: '%m [%p] %u@%d ' },
  'postgresql.log_min_duration_statement': { value: '2s' },
  'postgresql.log_lock_waits': { value: false },
  'postgresql.log_temp_files': { value: '20MB' },
  'postgresql.log_checkpoints': { value: false },
  'postgresql.log_destination': { value: 'stderr,jsonlog', with: { postgresql: { logging_collector: true } } },
  'postgresql.logging_collector': { value: true },
  'postgresql.password_encryption': { value: 'scram-sha-256', with: { postgresql: { password_encryption: 'md5' } } },
  'postgresql.default_text_search_config': { value: 'pg_catalog.simple' },
  'postgresql.lc_messages': { value: 'C' },
  'postgresql.lc_monetary': { value: 'C' },
  'postgresql.lc_numeric': { value: 'C' },
  'postgresql.lc_time': { value: 'C' },
  'postgresql.log_timezone': { value: 'Europe/Berlin' },
  'postgresql.timezone': { value: 'Europe/Berlin' },
  locale: { value: 'C.UTF-8' },
  applicationRole: { value: 'reach_role' },
  'resources.guaranteed': { value: true },
  'tls.enabled': { value: false },
  'tls.existingSecret': { value: true },
  'tls.issuerRef.kind': { value: 'Issuer' },
  'tls.issuerRef.name': { value: 'reach-ca' },
  'tls.minProtocolVersion': { value: 'TLSv1.3' },
  podAntiAffinity: { value: 'required' },
  zoneSpread: { value: true },
  database: { value: 'reach_app' },
  allowedClients: { value: [{ namespaceSelector: { matchLabels: { team: 'reach' } } }] },
  'patroni.ttl': { value: 40, with: PATRONI },
  'patroni.loopWait': { value: 8, with: PATRONI },
  'patroni.retryTimeout': { value: 9, with: PATRONI },
  'patroni.synchronousMode': { value: false, with: PATRONI },
  'patroni.maximumLagOnFailover': { value: 2097152, with: PATRONI },
  'backup.enabled': { value: true },
  'backup.schedule': { value: '30 3 * * *', with: { backup: { enabled: true } } },
  'backup.retentionDays': { value: 9, with: { backup: { enabled: true } } },
  'backup.storage.size': { value: '25Gi', with: { backup: { enabled: true } } },
  'backup.storage.storageClassName': { value: 'archive', with: { backup: { enabled: true } } },
  'monitoring.enabled': { value: true },
  'monitoring.serviceMonitor': { value: true, with: { monitoring: { enabled: true } } },
  'monitoring.allowedScrapers': {
    value: [{ namespaceSelector: { matchLabels: { team: 'observability' } } }],
    with: { monitoring: { enabled: true } },
  },
  'credentials.source': { value: 'existing' },
  'credentials.allowPlaceholder': { value: true, with: { credentials: { source: 'generator' } } },
  'credentials.revision': { value: 2 },
  'credentials.externalSecrets.storeRef.kind': { value: 'SecretStore' },
  'credentials.externalSecrets.storeRef.name': { value: 'vault-backend' },
  'credentials.externalSecrets.remoteKey': { value: 'databases/reach' },
  'credentials.externalSecrets.remoteRefs': { value: { password: { key: 'databases/admin', property: 'pw' } } },
  'credentials.externalSecrets.refreshInterval': { value: '15m' },
  'delivery.automated': { value: true },
  'delivery.prune': { value: false },
  'delivery.argocd.namespace': { value: 'gitops' },
  'delivery.argocd.project': { value: 'databases' },
  'delivery.argocd.server': { value: 'https://prod-cluster.example.com' },
  'delivery.flux.namespace': { value: 'flux' },
  'delivery.flux.interval': { value: '10m' },
  'delivery.flux.retryInterval': { value: '3m' },
  'delivery.flux.timeout': { value: '30m' },
};

/** Leaves that change what the build does, not what it renders, and the test that covers them. */
const NOT_RENDERED: Record<string, string> = {
  acknowledge: 'lets a change past the change consequences (test/change-consequences-cli.test.ts)',
};

/** `{ a: { b: value } }` for "a.b", merged over `base`. */
function withLeaf(base: Record<string, unknown>, field: string, value: unknown): Record<string, unknown> {
  const [key, ...rest] = field.split('.');
  const inner = isPlainObject(base[key]) ? (base[key] as Record<string, unknown>) : {};
  return { ...base, [key]: rest.length ? withLeaf(inner, rest.join('.'), value) : value };
}

const kustomize = findKustomize();

const renders = new Map<string, Promise<string>>();
/** Everything the build writes under generated/ for the environment, or the refusal's message; shared by equal configs. */
function renderAll(config: EnvironmentConfig): Promise<string> {
  const key = JSON.stringify(config);
  if (!renders.has(key)) renders.set(key, render(config));
  return renders.get(key)!;
}

async function render(config: EnvironmentConfig): Promise<string> {
  let environment: ReturnType<typeof resolveEnvironment>;
  try {
    environment = resolveEnvironment(config, 'scripts/environments/reach.ts');
  } catch (error) {
    if (error instanceof ConfigError) return `refused: ${error.message}`;
    throw error;
  }
  const staging = mkdtempSync(path.join(tmpdir(), 'reach-'));
  try {
    const { tree } = await renderBundle([environment], kustomize, staging);
    return [...tree]
      .filter(([file]) => file.startsWith(`${GENERATED_DIR}/`))
      .sort()
      .map(([file, content]) => `# ${file}\n${content}`)
      .join('\n');
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

const settingLeaves = leaves(defaults as unknown as Record<string, unknown>);

/** Leaves that reach the render only through what they derive: the change is checked, the literal value is not. */
const DERIVED_ONLY: Record<string, string> = {
  'storage.medium':
    "sets random_page_cost, effective_io_concurrency and autovacuum's pace (scripts/postgres/tuning.ts)",
};

test('every leaf of the defaults has a non-default value here (a new setting must be added)', () => {
  assert.equal([...Object.keys(CHANGES), ...Object.keys(NOT_RENDERED)].sort(), [...settingLeaves].sort());
});

test('every leaf set to a non-default value changes the rendered files, and the value is accepted', async () => {
  const start = Date.now();
  const outcomes = await Promise.all(
    Object.entries(CHANGES).map(async ([field, change]) => {
      const context = { name: 'reach', ...(change.with ?? {}) } as Record<string, unknown>;
      const [before, after] = await Promise.all([
        renderAll(context as unknown as EnvironmentConfig),
        renderAll(withLeaf(context, field, change.value) as unknown as EnvironmentConfig),
      ]);
      return { field, change, before, after };
    }),
  );
  // Every leaf's verdict at once, so one run shows all that are lost.
  const lost = outcomes.flatMap(({ field, change, before, after }) => {
    const value = JSON.stringify(change.value);
    if (after.startsWith('refused: ')) return [`${field}: ${value} is refused: ${after.split('\n')[1]}`];
    if (after === before) return [`${field}: ${value} does not change the rendered files`];
    if (
      typeof change.value === 'string' &&
      !field.startsWith('postgresql.') &&
      !(field in DERIVED_ONLY) &&
      !after.includes(change.value)
    )
      return [`${field}: ${value} is not in the rendered files`];
    return [];
  });
  assert.equal(lost, []);
  console.log(`  ${outcomes.length} leaves, ${renders.size} renders in ${((Date.now() - start) / 1000).toFixed(1)} s`);
});

test.run();
