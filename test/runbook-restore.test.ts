import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  debianBinaries,
  makeServerDirectory,
  startTestServer,
  withServer,
  type TestServer,
} from '../tools/postgres/server.ts';
import { copyBackupCommand, RESTORE_SCRATCH } from '../scripts/runbooks/restore.ts';
import { databaseContents } from './support/database-contents.ts';
import { find, rendered } from './support/rendered.ts';
import { installScript, onPath, runAsServerAccount, runScript, type ScriptResult } from './support/shell.ts';
import { backupPaths } from '../scripts/vocabulary/paths.ts';

/**
 * The runbook "Restore into a new environment" on real servers: staging's rendered backup.sh writes
 * a backup, the runbook's tar pipe carries it from one restore pod's backup volume into another's
 * scratch directory (here: two directories, busybox tar, as the server account), and restore.sh
 * restores it onto a fresh server from there.
 */
const binaries = debianBinaries(15);
const toolsDir = binaries.toolsDir!;
const scripts = find(rendered('staging'), 'ConfigMap', 'postgresql-backup-scripts').data as Record<string, string>;
const scriptDir = makeServerDirectory('restore-scripts-');
const backupSh = installScript(scriptDir, 'backup.sh', scripts['backup.sh']);
const restoreSh = installScript(scriptDir, 'restore.sh', scripts['restore.sh']);
const SUPERUSER = {
  superuser: 'app_user',
  password: 'restore-test-password',
  database: 'project_template',
  binaries,
} as const;
const sourceVolume = makeServerDirectory('source-backups-');
const targetScratch = makeServerDirectory('target-tmp-');
let source: TestServer;

const ok = (result: ScriptResult) =>
  assert.is(result.code, 0, `exit ${result.code}\n${result.stdout}\n${result.stderr}`);
const libpq = (server: TestServer, backupDir: string) => ({
  PGHOST: '127.0.0.1',
  PGPORT: String(server.port),
  PGUSER: SUPERUSER.superuser,
  PGPASSWORD: SUPERUSER.password,
  BACKUP_DIR: backupDir,
});

/** The runbook's copy, its two kubectl exec ends replaced by the two directories they reach. */
function copyBackup(backup: string): Promise<ScriptResult> {
  const command = copyBackupCommand('source', 'target', 'job/restore')
    .replace(/kubectl -n \S+ exec (-i )?job\/restore -- /g, '')
    .replace(` -C ${backupPaths.backups} `, ` -C "$1" `)
    .replace(` -C ${RESTORE_SCRATCH} `, ` -C "$2" `);
  assert.is(command, 'tar -C "$1" -cf - "$backup" | tar -C "$2" -xf -');
  return runAsServerAccount(
    [onPath('busybox'), 'sh', '-c', command, 'copy', sourceVolume, targetScratch],
    { backup },
    toolsDir,
  );
}

test.before(async () => {
  source = await startTestServer(SUPERUSER);
  const client = await source.connect();
  await client.query(`CREATE ROLE reporter LOGIN PASSWORD 'reporter-password';
    CREATE TABLE orders (id serial PRIMARY KEY, item text NOT NULL, placed timestamptz NOT NULL DEFAULT '2024-06-01 02:00Z');
    INSERT INTO orders (item) SELECT 'item ' || n FROM generate_series(1, 300) n;
    GRANT SELECT ON orders TO reporter;`);
  await client.end();
});

test.after(async () => {
  await source?.stop();
});

test("a backup carried through the runbook's tar pipe is checked and restored onto a fresh server, contents equal", async () => {
  ok(await runScript(backupSh, [], libpq(source, sourceVolume), toolsDir));
  const [backup] = readdirSync(sourceVolume);
  ok(await copyBackup(backup));
  assert.equal(
    readdirSync(path.join(targetScratch, backup)).sort(),
    readdirSync(path.join(sourceVolume, backup)).sort(),
  );
  const expected = await databaseContents(source.connect);
  await withServer(SUPERUSER, async (fresh) => {
    const result = await runScript(restoreSh, [backup], libpq(fresh, targetScratch), toolsDir);
    ok(result);
    assert.match(result.stdout, `backup ${backup}: checksums match`);
    assert.equal(await databaseContents(fresh.connect), expected);
  });
});

test('a backup damaged on the way is refused before anything is restored', async () => {
  const [backup] = readdirSync(targetScratch);
  const dump = path.join(targetScratch, backup, 'project_template.dump');
  const bytes = readFileSync(dump);
  bytes[bytes.length - 1] ^= 0xff;
  writeFileSync(dump, bytes);
  await withServer(SUPERUSER, async (fresh) => {
    const result = await runScript(restoreSh, [backup], libpq(fresh, targetScratch), toolsDir);
    assert.is(result.code, 1);
    assert.match(result.stderr, 'does not match its checksums');
  });
});

test.run();
