import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { EnvironmentConfig } from '../scripts/config/environment.ts';
import { ConfigError } from '../scripts/config/errors.ts';
import { resolveEnvironment } from '../scripts/config/resolve.ts';
import { REPLICATION_OWNED_PARAMETERS } from '../scripts/postgres/parameters.ts';
import { assertRefused } from './support/cli.ts';

/**
 * What the build accepts boots: each case below was accepted before (issue 12) and is now refused,
 * naming the environment and the field, with the reason and what works.
 */
const CASES: [string, Omit<EnvironmentConfig, 'name'>, string, string][] = [
  ['nested typo', { backup: { enabeld: true } } as never, 'backup.enabeld', 'did you mean "enabled"?'],
  [
    'deep typo',
    { resources: { limits: { memroy: '4Gi' } } } as never,
    'resources.limits.memroy',
    'did you mean "memory"?',
  ],
  [
    'typo in a store',
    { credentials: { externalSecrets: { storeRef: { nmae: 'vault' } } } } as never,
    'credentials.externalSecrets.storeRef.nmae',
    'did you mean "name"?',
  ],
  [
    'object replaced by a value',
    { storage: '50Gi' } as never,
    'storage',
    'must be an object with size, storageClassName',
  ],
  ['no clients', { allowedClients: [] }, 'allowedClients', 'admits every source'],
  ['empty peer', { allowedClients: [{}] }, 'allowedClients[0]', 'rejected by the API server'],
  [
    'ipBlock beside a selector',
    { allowedClients: [{ podSelector: {}, ipBlock: { cidr: '10.0.0.0/8' } }] },
    'allowedClients[0]',
    'cannot be combined',
  ],
  [
    'synchronous standbys',
    { replicas: 2, postgresql: { synchronous_standby_names: '*' } },
    'postgresql.synchronous_standby_names',
    'every commit hangs',
  ],
  [
    'archiving without a command',
    { postgresql: { archive_mode: 'on' } },
    'postgresql.archive_mode',
    'pg_wal grows until the volume is full',
  ],
  [
    'a command that archives nothing',
    { postgresql: { archive_mode: 'on', archive_command: '/bin/true' } },
    'postgresql.archive_command',
    'never names "%p"',
  ],
  [
    'minimal WAL with senders',
    { postgresql: { wal_level: 'minimal' } },
    'postgresql.wal_level',
    'requires wal_level "replica" or "logical"',
  ],
  [
    'no connection left',
    { postgresql: { max_connections: 3 } },
    'postgresql.max_connections',
    'set max_connections to at least 4',
  ],
  ['ssl without a certificate', { postgresql: { ssl: true } }, 'postgresql.ssl', 'needs a certificate and key'],
  ['huge pages required', { postgresql: { huge_pages: 'on' } }, 'postgresql.huge_pages', 'use "try"'],
  [
    'md5 passwords',
    { postgresql: { password_encryption: 'md5' } },
    'postgresql.password_encryption',
    'no new or changed password can log in',
  ],
  [
    'no full page writes with standbys',
    { replicas: 2, postgresql: { full_page_writes: false } },
    'postgresql.full_page_writes',
    'pg_rewind',
  ],
  ['no fsync', { postgresql: { fsync: false } }, 'postgresql.fsync', 'corruption'],
  ['a template database', { database: 'template1' }, 'database', 'never be backed up'],
  // 20GB of max_wal_size (a single replica keeps no wal_keep_size) may take half the volume: 40GiB.
  [
    'WAL larger than the volume',
    { storage: { size: '5Gi' }, postgresql: { max_wal_size: '20GB' } },
    'postgresql.max_wal_size',
    'use storage.size of at least 40GiB',
  ],
  [
    'kept WAL and max_wal_size above the volume',
    { storage: { size: '5Gi' }, postgresql: { wal_keep_size: '2GB', max_wal_size: '2GB' } },
    'postgresql.max_wal_size',
    'at least 8GiB',
  ],
  // 256 shared_buffers + 8 wal_buffers + 100 × 2 work_mem + 3 × 32 autovacuum_work_mem (derived: at least 32MB)
  // + 64 /dev/shm + 100 × 2 backends + 10 × 2 WAL senders + 8 × (2 + 2) parallel workers = 876 MiB.
  [
    'memory over the limit',
    { resources: { limits: { memory: '600Mi' } } },
    'resources.limits.memory',
    'the smallest limit that fits is "876Mi"',
  ],
  ['an unpinned tag', { image: { tag: 'latest' } }, 'image.tag', 'pin a tag such as "16-alpine"'],
  [
    'a tag in the name',
    { image: { name: 'postgres:16' } },
    'image.name',
    'write image: { name: "postgres", tag: "16" }',
  ],
  ['absurd storage', { storage: { size: '1e100' } }, 'storage.size', 'larger than Kubernetes can represent'],
  ["the cluster's namespace", { namespace: 'kube-system' }, 'namespace', 'belongs to the cluster itself'],
  ['a delivery namespace', { namespace: 'argocd' }, 'namespace', 'belongs to the delivery tools'],
];

for (const [title, overrides, field, phrase] of CASES) {
  test(`refused: ${title} (${field})`, () => {
    let message = '';
    try {
      resolveEnvironment({ name: 'qa', ...overrides } as EnvironmentConfig, 'scripts/environments/qa.ts');
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      message = error.message;
    }
    const line = message.split('\n').find((l) => l.startsWith(`qa: ${field}: `));
    assert.ok(line, `a problem for ${field}, got: ${message || 'accepted'}`);
    assert.match(message, phrase);
  });
}

test('every parameter owned by replication is refused as such', () => {
  for (const parameter of Object.keys(REPLICATION_OWNED_PARAMETERS)) {
    assert.throws(
      () => resolveEnvironment({ name: 'qa', postgresql: { [parameter]: 'x' } }, 'qa.ts'),
      new RegExp(`qa: postgresql\\.${parameter}: owned by the bundle's replication`),
    );
  }
});

test('accepted: a registry with a port, a mirror, a store of another name', () => {
  const environment = resolveEnvironment(
    {
      name: 'qa',
      image: { name: 'registry.example.com:5000/mirror/postgres', tag: '16.4-alpine' },
      credentials: { externalSecrets: { storeRef: { kind: 'SecretStore', name: 'vault-backend' } } },
    },
    'qa.ts',
  );
  assert.is(environment.image.name, 'registry.example.com:5000/mirror/postgres');
  assert.is(environment.credentials.externalSecrets.storeRef.name, 'vault-backend');
});

test('the build refuses each case in its own environment file, names the file that throws at import, and writes nothing', () => {
  const files = Object.fromEntries(
    CASES.map(([, overrides], index) => [
      `case${index}.ts`,
      `export default ${JSON.stringify({ name: `case${index}`, ...overrides })};\n`,
    ]),
  );
  files['qa.ts'] =
    `if (!process.env.QA_REGION) throw new Error('QA_REGION is not set');\nexport default { name: 'qa' };\n`;
  assertRefused(files, [
    ...CASES.map(([, , field], index) => `  case${index}: ${field}: `),
    '  qa (scripts/.environments-',
    'qa.ts): the environment file failed to load: QA_REGION is not set',
  ]);
});

test.run();
