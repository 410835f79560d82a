import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT, copyOfBundle, environmentsDir, runBuild, treeOf } from './support/cli.ts';

/** The build command against a copy of the committed bundle, after an edit to one environment file. */
function edited(env: string, ...replacements: [string, string][]): Record<string, string> {
  let text = readFileSync(path.join(PROJECT_ROOT, 'scripts/environments', `${env}.ts`), 'utf8');
  for (const [from, to] of replacements) {
    if (!text.includes(from)) throw new Error(`${env}.ts has no "${from}"`);
    text = text.replace(from, to);
  }
  return { [`${env}.ts`]: text };
}

/** Only `env` is built: the others are unchanged and would only cost time. */
const build = (out: string, files: Record<string, string>, env: string, ...flags: string[]) =>
  runBuild([...flags, '--out', out, '--environments', environmentsDir(files), env]);

/** The warnings are wrapped to the terminal: phrases are matched with single spaces. */
const flat = (text: string) => text.replace(/\s+/g, ' ');

const largerVolume: [string, string] = ["storage: { size: '100Gi' }", "storage: { size: '200Gi' }"];

test('a larger data volume is refused with exit 1, the runbook and the line to acknowledge it; nothing is written', () => {
  const out = copyOfBundle();
  const before = treeOf(out);
  const result = build(out, edited('prod', largerVolume), 'prod');
  assert.is(result.code, 1, result.stdout);
  const stderr = flat(result.stderr);
  assert.match(stderr, 'prod: refused storage-resize: data volume postgresql-data 100Gi → 200Gi');
  assert.match(stderr, 'runbook: generated/runbooks/prod.md#grow-the-data-volume');
  assert.match(
    stderr,
    "Refused, nothing written: a change above needs a manual step. Follow its runbook, then acknowledge it in the environment file: prod: acknowledge: ['storage-resize']",
  );
  assert.equal(treeOf(out), before);
});

test('acknowledged, it builds with a warning; the next build says the acknowledgement can go', () => {
  const out = copyOfBundle();
  const files = edited('prod', largerVolume, ["name: 'prod',", "name: 'prod',\n  acknowledge: ['storage-resize'],"]);
  const result = build(out, files, 'prod');
  assert.is(result.code, 0, result.stderr);
  assert.match(flat(result.stderr), 'prod: acknowledged storage-resize: data volume postgresql-data 100Gi → 200Gi');
  assert.match(treeOf(out)['generated/prod.yaml'], 'storage: 200Gi');

  const again = build(out, files, 'prod');
  assert.is(again.code, 0, again.stderr);
  assert.match(
    flat(again.stderr),
    "prod: warning stale-acknowledgement: acknowledge: 'storage-resize' matches no change in this build",
  );
  assert.not.match(again.stderr, 'storage-resize: data volume');
});

test('a parameter a reload picks up warns that the pods restart anyway, and builds', () => {
  const out = copyOfBundle();
  const result = build(
    out,
    edited('dev', [
      "maintenance_work_mem: '32MB',",
      "maintenance_work_mem: '32MB',\n    log_min_duration_statement: '500ms',",
    ]),
    'dev',
  );
  assert.is(result.code, 0, result.stderr);
  assert.match(
    flat(result.stderr),
    "dev: warning reload-parameter: log_min_duration_statement 1s → 500ms: a reload would apply this, but the ConfigMap's new name rolls the pods anyway: postgresql-0 restarts",
  );
  assert.match(treeOf(out)['generated/dev.yaml'], "log_min_duration_statement = '500ms'");
});

test('a parameter that needs a restart warns with the restart and the runbook, and builds', () => {
  const out = copyOfBundle();
  const result = build(out, edited('staging', ["shared_buffers: '512MB'", "shared_buffers: '768MB'"]), 'staging');
  assert.is(result.code, 0, result.stderr);
  const stderr = flat(result.stderr);
  assert.match(
    stderr,
    'staging: warning restart-parameter: shared_buffers 512MB → 768MB: PostgreSQL applies this only at a restart (context postmaster)',
  );
  assert.match(
    stderr,
    'postgresql-1 first, down to postgresql-0, whichever is primary; when the roll reaches the primary, Patroni stops it cleanly',
  );
  assert.match(stderr, 'runbook: generated/runbooks/staging.md#apply-a-restart-only-parameter');
});

test('an acknowledgement that matches nothing is a warning, not a failure', () => {
  const out = copyOfBundle();
  const result = build(out, edited('dev', ["name: 'dev',", "name: 'dev',\n  acknowledge: ['major-upgrade'],"]), 'dev');
  assert.is(result.code, 0, result.stderr);
  assert.match(
    flat(result.stderr),
    "dev: warning stale-acknowledgement: acknowledge: 'major-upgrade' matches no change in this build",
  );
  assert.not.match(result.stderr, 'Refused');
});

test('--check prints the consequences too, and fails on the stale files, writing nothing', () => {
  const out = copyOfBundle();
  const before = treeOf(out);
  const result = build(out, edited('prod', largerVolume), 'prod', '--check');
  assert.is(result.code, 1);
  assert.match(flat(result.stderr), 'prod: refused storage-resize');
  assert.match(result.stderr, 'stale:   generated/prod.yaml');
  assert.equal(treeOf(out), before);
});

test('a bad acknowledgement is invalid configuration, naming the allowed changes', () => {
  const out = copyOfBundle();
  const result = build(
    out,
    edited('dev', ["name: 'dev',", "name: 'dev',\n  acknowledge: ['storage-size' as never],"]),
    'dev',
  );
  assert.is(result.code, 1);
  assert.match(result.stderr, 'Invalid configuration, nothing written');
  assert.match(
    result.stderr,
    'dev: acknowledge[0]: "storage-size" is not a change the build refuses; allowed: statefulset-immutable, storage-resize,',
  );
});

test.run();
