import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withAcknowledgements } from '../scripts/changes/acknowledgements.ts';
import type { Consequence } from '../scripts/changes/consequence.ts';
import { consequencesOfChange } from '../scripts/changes/consequences.ts';
import { majorVersion } from '../scripts/changes/image.ts';
import type { EnvironmentConfig } from '../scripts/config/environment.ts';
import { ConfigError } from '../scripts/config/errors.ts';
import { resolveEnvironment } from '../scripts/config/resolve.ts';
import { runbookLink } from '../scripts/runbooks/sections.ts';
import dev from '../scripts/environments/dev.ts';
import prod from '../scripts/environments/prod.ts';
import staging from '../scripts/environments/staging.ts';
import { renderEnvironment } from './support/render-environment.ts';

/**
 * What the build says about a change: a before and an after environment config, each rendered by
 * the real pipeline, compared as the build compares the committed generated/<env>.yaml with a new one.
 */
async function consequences(before: EnvironmentConfig, after: EnvironmentConfig): Promise<Consequence[]> {
  const [old, now] = await Promise.all([renderEnvironment(before), renderEnvironment(after)]);
  return consequencesOfChange(after.name, old, now);
}

/** kind, severity and runbook of each consequence: what a test asserts besides a phrase of the message. */
const summary = (found: Consequence[]) => found.map(({ kind, severity, runbook }) => ({ kind, severity, runbook }));

const alpine16 = { name: 'postgres', tag: '16-alpine' };

test('no change, no consequence', async () => {
  assert.equal(await consequences(prod, prod), []);
});

test('a larger data volume is refused: volumeClaimTemplates cannot change; the runbook grows each claim', async () => {
  const found = await consequences(prod, { ...prod, storage: { size: '200Gi' } });
  // The WAL sizes derived from the volume follow it (scripts/postgres/tuning.ts): warnings, not refusals.
  assert.equal(summary(found), [
    { kind: 'storage-resize', severity: 'refuse', runbook: runbookLink('prod', 'growVolume') },
    { kind: 'reload-parameter', severity: 'warn', runbook: undefined },
    { kind: 'reload-parameter', severity: 'warn', runbook: undefined },
  ]);
  assert.match(found[0].message, 'postgresql-data 100Gi → 200Gi');
  assert.match(found[1].message, 'max_wal_size 8GB → 16GB');
});

test('another StorageClass or a smaller volume is an immutable StatefulSet field: re-create it', async () => {
  const moved = await consequences(prod, { ...prod, storage: { size: '100Gi', storageClassName: 'fast' } });
  assert.equal(summary(moved), [
    { kind: 'statefulset-immutable', severity: 'refuse', runbook: runbookLink('prod', 'recreateStatefulSet') },
  ]);
  assert.match(moved[0].message, 'spec.volumeClaimTemplates[postgresql-data].spec.storageClassName standard → fast');
  const shrunk = (await consequences(prod, { ...prod, storage: { size: '50Gi' } })).filter(
    (c) => c.severity === 'refuse',
  );
  assert.equal(
    summary(shrunk).map((c) => c.kind),
    ['statefulset-immutable'],
  );
  assert.match(shrunk[0].message, 'a volume never shrinks');
});

test('a new PostgreSQL major version in the image is refused; a tag without one is invalid', async () => {
  const upgraded = await consequences(staging, {
    ...staging,
    image: { ...staging.image!, tag: '17-alpine-patroni4.0.6' },
  });
  assert.equal(summary(upgraded), [
    { kind: 'major-upgrade', severity: 'refuse', runbook: runbookLink('staging', 'majorUpgrade') },
  ]);
  assert.match(
    upgraded[0].message,
    `${staging.image!.name}:16-alpine-patroni4.0.6 → ${staging.image!.name}:17-alpine-patroni4.0.6: PostgreSQL 17 refuses to start on a data directory of PostgreSQL 16`,
  );
  // A tag without a major version is refused before any change is compared, in a new environment too.
  assert.throws(
    () => resolveEnvironment({ ...staging, image: { ...staging.image!, tag: 'alpine' } }, 'staging.ts'),
    (error: Error) =>
      error instanceof ConfigError &&
      error.message.includes('staging: image.tag: "alpine" does not say which PostgreSQL major version'),
  );
});

test('a minor version is a warning: the rollout applies it; a change of C library asks for a REINDEX', async () => {
  const minor = await consequences(
    { ...dev, image: { name: 'postgres', tag: '16.3-alpine' } },
    { ...dev, image: { name: 'postgres', tag: '16.4-alpine' } },
  );
  assert.equal(summary(minor), [
    { kind: 'minor-upgrade', severity: 'warn', runbook: runbookLink('dev', 'minorUpgrade') },
  ]);
  assert.match(minor[0].message, 'postgresql-0 restarts');
  assert.not.match(minor[0].message, 'REINDEX)');
  const debian = await consequences(
    { ...dev, image: alpine16 },
    { ...dev, image: { name: 'postgres', tag: '16.4-bookworm' } },
  );
  assert.match(debian[0].message, 'rebuild every index on text (REINDEX)');
});

test('the major version of a tag', () => {
  for (const [tag, major] of [
    ['16-alpine', '16'],
    ['16.4-alpine', '16'],
    ['17.0', '17'],
    ['16', '16'],
    ['9.6-alpine', '9.6'],
    ['latest', undefined],
    ['alpine', undefined],
  ] as const) {
    assert.is(majorVersion(tag), major, tag);
  }
});

test('credentials: a bumped revision, another store key or another database is refused: PostgreSQL reads them only at initdb', async () => {
  const rotated = await consequences(prod, { ...prod, credentials: { ...prod.credentials, revision: 2 } });
  assert.equal(summary(rotated), [
    { kind: 'credentials', severity: 'refuse', runbook: runbookLink('prod', 'rotatePasswords') },
  ]);
  assert.match(rotated[0].message, 'credentials.revision was bumped');
  assert.match(rotated[0].message, 'ALTER ROLE');

  const rekeyed = await consequences(prod, {
    ...prod,
    credentials: { source: 'external-secrets', externalSecrets: { remoteKey: 'postgresql/prod-2' } },
  });
  assert.match(rekeyed[0].message, 'username, password, replication-password, monitoring-password changed in git');

  const renamed = await consequences(dev, { ...dev, database: 'shop' });
  assert.equal(
    summary(renamed).map((c) => c.kind),
    ['credentials'],
  );
  assert.match(renamed[0].message, 'database project_template → shop');
  assert.match(renamed[0].message, 'CREATE DATABASE');
  assert.not.match(renamed[0].message, 'ALTER ROLE', 'the passwords did not change');
});

test("a parameter that needs a restart warns: the ConfigMap's new name restarts every pod, whichever is the primary", async () => {
  const found = await consequences(staging, {
    ...staging,
    postgresql: { ...staging.postgresql, shared_buffers: '768MB' },
  });
  assert.equal(summary(found), [
    { kind: 'restart-parameter', severity: 'warn', runbook: runbookLink('staging', 'restartForParameters') },
  ]);
  assert.match(
    found[0].message,
    'shared_buffers 512MB → 768MB: PostgreSQL applies this only at a restart (context postmaster)',
  );
  assert.match(found[0].message, 'postgresql-1 first, down to postgresql-0, whichever is primary');
  assert.match(found[0].message, 'Patroni stops it cleanly and a standby');
  assert.not.match(found[0].message, 'Pending restart', 'Patroni does not keep shared_buffers in its store');
});

test('a parameter a reload picks up still restarts the pods, and says so; there is nothing to do by hand', async () => {
  const found = await consequences(dev, {
    ...dev,
    postgresql: { ...dev.postgresql, log_min_duration_statement: '500ms' },
  });
  assert.equal(summary(found), [{ kind: 'reload-parameter', severity: 'warn', runbook: undefined }]);
  assert.match(
    found[0].message,
    "log_min_duration_statement 1s → 500ms: a reload would apply this, but the ConfigMap's new name rolls the pods anyway: postgresql-0 restarts",
  );
});

test('a parameter Patroni keeps in its store: no refusal, lowered or raised; the roll alone does not apply it, `patronictl restart --pending` does', async () => {
  for (const max_connections of [250, 320]) {
    const found = await consequences(prod, { ...prod, postgresql: { ...prod.postgresql, max_connections } });
    assert.equal(
      summary(found),
      [{ kind: 'restart-parameter', severity: 'warn', runbook: runbookLink('prod', 'restartForParameters') }],
      String(max_connections),
    );
    assert.match(
      found[0].message,
      `max_connections 300 → ${max_connections}: PostgreSQL applies this only at a restart`,
    );
    assert.match(
      found[0].message,
      'the roll alone does not apply it: the postgresql-patroni-config Job writes this into the store after the sync',
    );
    assert.match(found[0].message, 'patronictl restart --pending');
  }
  // Without Patroni (one replica), the same parameter is the ConfigMap's and the roll applies it.
  const single = await consequences(dev, { ...dev, postgresql: { ...dev.postgresql, max_connections: 40 } });
  // effective_cache_size is derived from what the connections leave of the memory limit: it follows (a reload).
  assert.equal(
    summary(single).map((c) => c.kind),
    ['restart-parameter', 'reload-parameter'],
  );
  assert.match(single[1].message, 'effective_cache_size');
  assert.match(single[0].message, "The ConfigMap's new name rolls the pods, which applies it: postgresql-0 restarts");
  // wal_keep_size is in Patroni's store too, and a reload applies it: Patroni does, with nothing to restart.
  const reloaded = await consequences(prod, { ...prod, postgresql: { ...prod.postgresql, wal_keep_size: '10GB' } });
  assert.equal(summary(reloaded), [{ kind: 'reload-parameter', severity: 'warn', runbook: undefined }]);
  assert.match(
    reloaded[0].message,
    'and Patroni does, once the postgresql-patroni-config Job has written this into its store',
  );
});

test('fewer replicas are refused: Patroni drops the slot after member_slots_ttl, the claim stays', async () => {
  const found = await consequences(prod, { ...prod, replicas: 2 });
  assert.equal(summary(found), [
    { kind: 'replicas-lowered', severity: 'refuse', runbook: runbookLink('prod', 'scaleReplicas') },
  ]);
  assert.match(found[0].message, 'replicas 3 → 2: postgresql-2 stops, whichever role it has');
  assert.match(
    found[0].message,
    'Patroni drops its slot (postgresql_2) on the primary once the member has left, after member_slots_ttl',
  );
  assert.match(found[0].message, 'max_slot_wal_keep_size (20GB)');
  assert.match(found[0].message, 'postgresql-data-postgresql-2 stays');
  assert.not.match(found[0].message, 'leaves Patroni');
  const toOne = (await consequences(staging, { ...staging, replicas: 1 })).filter((c) => c.kind === 'replicas-lowered');
  assert.match(
    toOne[0].message,
    'With one replica the environment leaves Patroni: postgresql-0 restarts without it on its own data, so it must be the primary',
  );
  assert.equal(
    await consequences(prod, { ...prod, replicas: 4, postgresql: { ...prod.postgresql, max_wal_senders: 5 } }),
    [],
    'more members clone the primary by themselves',
  );
});

test('Patroni taking over data it did not initialise is refused, and says why a plain sync is wrong: one replica scaled up, or the scripts before Patroni', async () => {
  const scaled = await consequences(dev, {
    ...dev,
    replicas: 2,
    image: staging.image,
    postgresql: { ...dev.postgresql, max_wal_senders: 4, max_replication_slots: 4, max_slot_wal_keep_size: '1GB' },
  });
  assert.equal(summary(scaled)[0], {
    kind: 'patroni-adoption',
    severity: 'refuse',
    runbook: runbookLink('dev', 'moveToPatroni'),
  });
  assert.match(
    scaled[0].message,
    "Patroni takes over (replicas 1 → 2): postgresql-0 runs the official image's entrypoint on a data directory it initialised",
  );
  assert.match(
    scaled[0].message,
    'adopts it as the leader only when the first member to start finds no cluster "postgresql-ha" in its store',
  );
  assert.match(scaled[0].message, 'A plain sync starts postgresql-1 before postgresql-0');
  // The committed render of an environment that ran the replication scripts: the StatefulSet's command was not
  // Patroni's.
  const [old, now] = await Promise.all([renderEnvironment(prod), renderEnvironment(prod)]);
  const scripted = old.replace(/^(\s+)- patroni\n(\1- \/etc\/patroni\/patroni\.yml)$/m, '$1- docker-entrypoint.sh\n$2');
  assert.ok(scripted !== old, 'the rendered StatefulSet runs Patroni');
  const adopted = consequencesOfChange('prod', scripted, now);
  assert.equal(summary(adopted), [
    { kind: 'patroni-adoption', severity: 'refuse', runbook: runbookLink('prod', 'moveToPatroni') },
  ]);
  assert.match(adopted[0].message, '3 pods run the replication scripts that came before Patroni');
  assert.match(adopted[0].message, 'a former standby would promote itself while the old primary still takes writes');
  assert.equal(consequencesOfChange('prod', now, scripted), [], 'leaving Patroni is not an adoption');
});

test('another namespace is a new, empty database: that alone is reported', async () => {
  const found = await consequences(staging, { ...staging, namespace: 'databases', storage: { size: '40Gi' } });
  assert.equal(summary(found), [
    { kind: 'namespace-moved', severity: 'refuse', runbook: runbookLink('staging', 'restoreIntoNewEnvironment') },
  ]);
  assert.match(found[0].message, 'namespace project-template → databases');
});

test('an acknowledged refusal becomes a warning; an acknowledgement that matches nothing is a warning to remove it', async () => {
  const environment = resolveEnvironment(
    { ...prod, acknowledge: ['storage-resize', 'replicas-lowered'] },
    'scripts/environments/prod.ts',
  );
  const found = withAcknowledgements(
    environment,
    (await consequences(prod, { ...prod, storage: { size: '200Gi' } })).filter((c) => c.kind !== 'reload-parameter'),
  );
  assert.equal(
    found.map(({ kind, severity, acknowledged }) => ({ kind, severity, acknowledged })),
    [
      { kind: 'storage-resize', severity: 'warn', acknowledged: true },
      { kind: 'stale-acknowledgement', severity: 'warn', acknowledged: undefined },
    ],
  );
  assert.match(found[1].message, "acknowledge: 'replicas-lowered' matches no change in this build");
  assert.match(found[1].message, 'Remove it from scripts/environments/prod.ts');
});

test('acknowledge accepts only the changes the build refuses, and names them', () => {
  try {
    resolveEnvironment({ name: 'dev', acknowledge: ['storage-size' as never] }, 'scripts/environments/dev.ts');
    assert.unreachable('an unknown change was accepted');
  } catch (error) {
    assert.instance(error, ConfigError);
    assert.match(
      (error as Error).message,
      'dev: acknowledge[0]: "storage-size" is not a change the build refuses; allowed: statefulset-immutable, storage-resize, namespace-moved, major-upgrade, credentials, replicas-lowered, patroni-adoption',
    );
  }
});

test.run();
