import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { PROJECT_ROOT, assertRefused, emptyDir, environmentsDir, runBuild, treeOf } from './support/cli.ts';

/** The build command with replication settings: Patroni's settings are reviewed lines, bad values are refused. */
const source = (env: string) => readFileSync(path.join(PROJECT_ROOT, 'scripts/environments', `${env}.ts`), 'utf8');
/** The environment file `env` with one text replaced; throws when the text is not there, so the test cannot pass vacuously. */
function edited(env: string, from: string, to: string): Record<string, string> {
  const text = source(env);
  if (!text.includes(from)) throw new Error(`${env}.ts has no "${from}"`);
  return { [`${env}.ts`]: text.replace(from, to) };
}

test("a timing or the synchronous mode is one reviewed line: it changes patroni.yml and dcs.yml, and rolls the pods through the ConfigMap's name", () => {
  const out = emptyDir();
  const files = edited(
    'staging',
    "name: 'staging',",
    "name: 'staging',\n  patroni: { ttl: 20, loopWait: 5, retryTimeout: 5, synchronousMode: false },",
  );
  const result = runBuild(['--out', out, '--environments', environmentsDir(files)]);
  assert.is(result.code, 0, result.stderr);
  const tree = treeOf(out);
  const objects = parseAllDocuments(tree['generated/staging.yaml']).map((d) => d.toJS());
  const config = objects.find(
    (o) =>
      o.kind === 'ConfigMap' &&
      o.metadata.name.startsWith('postgresql-patroni-') &&
      !o.metadata.name.startsWith('postgresql-patroni-scripts'),
  );
  assert.is(objects.find((o) => o.kind === 'StatefulSet').spec.minReadySeconds, 10, 'two loops of 5 s');
  for (const file of ['patroni.yml', 'dcs.yml']) {
    const text: string = config.data[file];
    assert.match(text, /^ *ttl: 20$/m);
    assert.match(text, /^ *loop_wait: 5$/m);
    assert.match(text, /^ *retry_timeout: 5$/m);
    assert.match(text, /^ *synchronous_mode: false$/m);
  }
  const committed = treeOf(path.join(PROJECT_ROOT, 'generated'));
  assert.is(tree['generated/prod.yaml'], committed['prod.yaml']);
  assert.is.not(
    config.metadata.name,
    parseAllDocuments(committed['staging.yaml'])
      .map((d) => d.toJS())
      .find(
        (o) =>
          o.kind === 'ConfigMap' &&
          o.metadata.name.startsWith('postgresql-patroni-') &&
          !o.metadata.name.startsWith('postgresql-patroni-scripts'),
      ).metadata.name,
  );
});

const BAD_INPUTS: [string, Record<string, string>, string][] = [
  [
    "a ttl below Patroni's minimum",
    edited('staging', "name: 'staging',", "name: 'staging',\n  patroni: { ttl: 10 },"),
    'staging: patroni.ttl: must be a whole number from 20 to 3600, got 10',
  ],
  [
    'a ttl one retry cannot fit in',
    edited('prod', "name: 'prod',", "name: 'prod',\n  patroni: { ttl: 25, loopWait: 10, retryTimeout: 10 },"),
    'staging: patroni.ttl: must be at least loopWait + 2 × retryTimeout (10 + 2 × 10 = 30)'.replace('staging', 'prod'),
  ],
  [
    'a synchronous mode that is not a boolean',
    edited('prod', "name: 'prod',", "name: 'prod',\n  patroni: { synchronousMode: 'on' as any },"),
    'prod: patroni.synchronousMode: must be true or false, got "on"',
  ],
  [
    'the official image with standbys: it has no Patroni',
    edited(
      'staging',
      "image: { name: 'ghcr.io/penguintechinc/postgresql-patroni', tag: '16-alpine-patroni4.0.6' },",
      "image: { name: 'docker.io/library/postgres', tag: '16-alpine' },",
    ),
    'staging: image.name: "docker.io/library/postgres" is the official image, which has no Patroni',
  ],
  [
    'too few WAL senders for two standbys and a backup',
    edited('prod', 'max_wal_senders: 5', 'max_wal_senders: 3'),
    'prod: postgresql.max_wal_senders: must be at least 4: one per standby (2) plus two for a pg_basebackup',
  ],
  [
    'fewer slots than standbys',
    edited('prod', 'max_replication_slots: 5', 'max_replication_slots: 1'),
    'prod: postgresql.max_replication_slots: must be at least 2: one slot per standby, got 1',
  ],
  [
    'no cap on the WAL a slot keeps',
    edited('staging', "max_slot_wal_keep_size: '4GB'", 'max_slot_wal_keep_size: -1'),
    'staging: postgresql.max_slot_wal_keep_size: must be set with replicas > 1',
  ],
  [
    'a slot WAL cap larger than half the volume',
    edited('staging', "max_slot_wal_keep_size: '4GB'", "max_slot_wal_keep_size: '15GB'"),
    'staging: postgresql.max_slot_wal_keep_size: "15GB" is more than 50% of the 20Gi data volume',
  ],
  [
    'hot_standby off',
    edited('staging', 'max_wal_senders: 4,', 'max_wal_senders: 4,\n    hot_standby: false,'),
    'staging: postgresql.hot_standby: must be on with replicas > 1',
  ],
  [
    'wal_log_hints off',
    edited('prod', 'max_wal_senders: 5,', 'max_wal_senders: 5,\n    wal_log_hints: false,'),
    'prod: postgresql.wal_log_hints: must be on with replicas > 1: pg_rewind needs it',
  ],
  [
    'wal_keep_size below max_wal_size',
    edited('prod', 'max_wal_senders: 5,', "max_wal_senders: 5,\n    wal_keep_size: '64MB',"),
    'prod: postgresql.wal_keep_size: must be at least max_wal_size',
  ],
  [
    'zoneSpread that is not a boolean',
    edited('prod', 'zoneSpread: true', "zoneSpread: 'yes' as any"),
    'prod: zoneSpread: must be true or false, got "yes"',
  ],
];

for (const [what, files, message] of BAD_INPUTS) {
  test(`refuses ${what}, names the field, and writes nothing`, () => assertRefused(files, [message]));
}

test.run();
