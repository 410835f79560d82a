import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { PROJECT_ROOT, assertRefused, emptyDir, environmentsDir, runBuild, treeOf } from './support/cli.ts';

/** The build command with replication settings: a failover is one reviewed line, bad values are refused. */
const source = (env: string) => readFileSync(path.join(PROJECT_ROOT, 'scripts/environments', `${env}.ts`), 'utf8');
/** The environment file `env` with one text replaced; throws when the text is not there, so the test cannot pass vacuously. */
function edited(env: string, from: string, to: string): Record<string, string> {
  const text = source(env);
  if (!text.includes(from)) throw new Error(`${env}.ts has no "${from}"`);
  return { [`${env}.ts`]: text.replace(from, to) };
}

test('declaring postgresql-1 primary moves the read-write Service and the pods\' declared primary, nothing else', () => {
  const out = emptyDir();
  const files = edited('staging', "name: 'staging',", "name: 'staging',\n  replication: { primaryOrdinal: 1 },");
  const result = runBuild(['--out', out, '--environments', environmentsDir(files)]);
  assert.is(result.code, 0, result.stderr);
  const tree = treeOf(out);
  const objects = parseAllDocuments(tree['generated/staging.yaml']).map((d) => d.toJS());
  const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'postgresql');
  assert.is(service.spec.selector['statefulset.kubernetes.io/pod-name'], 'postgresql-1');
  const init = objects.find((o) => o.kind === 'StatefulSet').spec.template.spec.initContainers[0];
  assert.equal(init.env.find((e: any) => e.name === 'PRIMARY_ORDINAL'), { name: 'PRIMARY_ORDINAL', value: '1' });
  assert.ok(tree['overlays/staging/patches/primary-ordinal.yaml']);
  assert.ok(tree['overlays/staging/patches/primary-service.yaml']);
  const committed = treeOf(path.join(PROJECT_ROOT, 'generated'));
  assert.is(tree['generated/prod.yaml'], committed['prod.yaml']);
  // Only the Service selector and the init container's env differ from the committed staging.
  const changed = diffLines(committed['staging.yaml'], tree['generated/staging.yaml']);
  assert.equal(changed, ['-statefulset.kubernetes.io/pod-name: postgresql-0', '+statefulset.kubernetes.io/pod-name: postgresql-1', '-value: "0"', '+value: "1"']);
});

/** Lines removed (-) and added (+), trimmed, in order; enough for two files of equal length that differ in place. */
function diffLines(before: string, after: string): string[] {
  const a = before.split('\n');
  const b = after.split('\n');
  assert.is(a.length, b.length);
  return a.flatMap((line, i) => (line === b[i] ? [] : [`-${line.trim()}`, `+${b[i].trim()}`]));
}

const BAD_INPUTS: [string, Record<string, string>, string][] = [
  ['a primary ordinal beyond the replicas', edited('staging', "name: 'staging',", "name: 'staging',\n  replication: { primaryOrdinal: 2 },"),
    'staging: replication.primaryOrdinal: must be a whole number from 0 to 1 (one of the 2 replicas), got 2'],
  ['a primary ordinal other than 0 with one replica', edited('dev', "name: 'dev',", "name: 'dev',\n  replication: { primaryOrdinal: 1 },"),
    'dev: replication.primaryOrdinal: must be a whole number from 0 (the only replica), got 1'],
  ['too few WAL senders for two standbys and a backup', edited('prod', 'max_wal_senders: 5', 'max_wal_senders: 3'),
    'prod: postgresql.max_wal_senders: must be at least 4: one per standby (2) plus two for a pg_basebackup'],
  ['fewer slots than standbys', edited('prod', 'max_replication_slots: 5', 'max_replication_slots: 1'),
    'prod: postgresql.max_replication_slots: must be at least 2: one slot per standby, got 1'],
  ['no cap on the WAL a slot keeps', edited('staging', "max_slot_wal_keep_size: '4GB'", 'max_slot_wal_keep_size: -1'),
    'staging: postgresql.max_slot_wal_keep_size: must be set with replicas > 1'],
  ['a slot WAL cap larger than half the volume', edited('staging', "max_slot_wal_keep_size: '4GB'", "max_slot_wal_keep_size: '15GB'"),
    'staging: postgresql.max_slot_wal_keep_size: "15GB" is more than 50% of the 20Gi data volume'],
  ['hot_standby off', edited('staging', 'max_wal_senders: 4,', 'max_wal_senders: 4,\n    hot_standby: false,'),
    'staging: postgresql.hot_standby: must be on with replicas > 1'],
  ['wal_log_hints off', edited('prod', 'max_wal_senders: 5,', 'max_wal_senders: 5,\n    wal_log_hints: false,'),
    'prod: postgresql.wal_log_hints: must be on with replicas > 1: pg_rewind needs it'],
  ['wal_keep_size below max_wal_size', edited('prod', 'max_wal_senders: 5,', "max_wal_senders: 5,\n    wal_keep_size: '64MB',"),
    'prod: postgresql.wal_keep_size: must be at least max_wal_size'],
  ['zoneSpread that is not a boolean', edited('prod', 'zoneSpread: true', "zoneSpread: 'yes' as any"),
    'prod: zoneSpread: must be true or false, got "yes"'],
];

for (const [what, files, message] of BAD_INPUTS) {
  test(`refuses ${what}, names the field, and writes nothing`, () => assertRefused(files, [message]));
}

test.run();
