import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import {
  connect,
  debianBinaries,
  initDataDirectory,
  makeServerDirectory,
  removeServerDirectory,
  startServer,
  type ServerHandle,
} from '../tools/postgres/server.ts';
import { PGBACKREST, renderedContainers, run, startLab, type CommandResult, type PitrLab } from './support/pitr-lab.ts';
import { find, rendered } from './support/rendered.ts';

/**
 * Wrong S3 credentials in the database pods: PostgreSQL 15 archives with prod's rendered
 * archive_command and a refused key; pg_stat_archiver.failed_count (what postgres_exporter exports as
 * pg_stat_archiver_failed_count) is read every scrape interval of the rendered ServiceMonitor. Those
 * values go to promtool (Prometheus' own rule evaluator) with prod's rendered PrometheusRule: the
 * alert fires on them, and not on the values once the key is fixed. Nothing is lost: after the fix
 * (a restart with the right Secret, as a rollout does) every segment reaches the repository.
 * The alert needs 10 minutes of failures; the test observes 2 and repeats what it saw (stated below).
 */
const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';
const binaries = debianBinaries(15);
const USER = { user: 'app_user', password: 'pitr-alert-password' };
const containers = renderedContainers('prod');
const objects = rendered('prod');
const rule = find(objects, 'PrometheusRule', 'postgresql');
const scrape = find(objects, 'ServiceMonitor', 'postgresql').spec.endpoints[0].interval as string;
const ALERT = 'PostgreSQLWALArchivingFailing';
let lab: PitrLab;
let server: ServerHandle | undefined;
let root: string | undefined;
let work: string;

const ok = (result: CommandResult, what: string) =>
  assert.is(result.code, 0, `${what}: exit ${result.code}\n${result.stdout}\n${result.stderr}`);
const sleep = (ms: number) => new Promise((wake) => setTimeout(wake, ms));
const seconds = (interval: string) => Number(/^(\d+)s$/.exec(interval)?.[1] ?? NaN);

test.before(async () => {
  if (!existsSync(PROMTOOL))
    throw new Error(
      `${PROMTOOL} is missing: test/setup/prerequisites.sh installs Debian's prometheus package (promtool)`,
    );
  work = mkdtempSync(path.join(os.tmpdir(), 'pitr-alert-'));
  lab = await startLab('prod', USER);
});

test.after(async () => {
  await server?.stop();
  await lab?.stop();
  if (root) removeServerDirectory(root);
  if (work) rmSync(work, { recursive: true, force: true });
});

/** promtool's verdict on `values` (one sample per scrape interval) for pod postgresql-0: the alerts firing at `at`. */
function firing(values: number[], at: string): string {
  const namespace = rule.metadata.namespace;
  const spec = rule.spec.groups.flatMap((group: any) => group.rules).find((r: any) => r.alert === ALERT);
  writeFileSync(path.join(work, 'rules.yml'), YAML.stringify({ groups: rule.spec.groups }));
  const labels = { namespace, pod: 'postgresql-0' };
  writeFileSync(
    path.join(work, 'test.yml'),
    YAML.stringify({
      rule_files: ['rules.yml'],
      evaluation_interval: scrape,
      tests: [
        {
          interval: scrape,
          input_series: [
            {
              series: `pg_stat_archiver_failed_count{namespace="${namespace}", pod="postgresql-0", container="postgres-exporter"}`,
              values: values.join(' '),
            },
          ],
          alert_rule_test: [
            {
              eval_time: at,
              alertname: ALERT,
              exp_alerts: [
                {
                  exp_labels: { ...spec.labels, ...labels },
                  exp_annotations: {
                    ...spec.annotations,
                    summary: spec.annotations.summary.replace('{{ $labels.pod }}', labels.pod),
                  },
                },
              ],
            },
          ],
        },
      ],
    }),
  );
  try {
    execFileSync(PROMTOOL, ['test', 'rules', 'test.yml'], { cwd: work, encoding: 'utf8', stdio: 'pipe' });
    return 'fires';
  } catch (error: any) {
    return `${error.stdout ?? ''}${error.stderr ?? ''}`;
  }
}

const observed: number[] = [];
let failedSegment = '';

/** The server on its data directory with the database container's variables (S3 key `key`), and its pgbackrest.conf. */
async function startDatabase(dataDir: string, key?: string): Promise<ServerHandle> {
  const configFile = path.join(lab.dir, 'database.conf');
  const env = { ...lab.env(containers.database, configFile), ...(key ? { PGBACKREST_REPO1_S3_KEY: key } : {}) };
  const started = await startServer({ dataDir, binaries, args: containers.archivingArgs, env });
  lab.podConfig('database.conf', { pgdata: dataDir, socketDir: started.socketDir, port: started.port });
  return started;
}

const query = async (sql: string) => {
  const client = await connect({
    port: server!.port,
    user: USER.user,
    password: USER.password,
    database: 'project_template',
  });
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
};

test('a refused key: failed_count grows every scrape interval, the failed segment is not archived', async () => {
  root = makeServerDirectory('pitr-alert-');
  const dataDir = path.join(root, 'data');
  await initDataDirectory({
    dataDir,
    superuser: USER.user,
    password: USER.password,
    database: 'project_template',
    binaries,
  });
  // The pods' variables, but the Secret holds a key S3 refuses.
  server = await startDatabase(dataDir, 'NOT-THE-KEY');
  const paths = { pgdata: dataDir, socketDir: server.socketDir, port: server.port };
  ok(
    await run(PGBACKREST, ['stanza-create'], lab.env(containers.sidecar, lab.podConfig('sidecar.conf', paths))),
    'stanza-create with the right key',
  );
  await query('CREATE TABLE events (id int)');
  await query('INSERT INTO events VALUES (1)');
  failedSegment = (await query('SELECT pg_walfile_name(pg_switch_wal()) AS segment'))[0].segment;
  const interval = seconds(scrape) * 1000;
  // What Prometheus would scrape: one value per interval, from the switch on.
  for (let i = 0; i < 5; i++) {
    observed.push(Number((await query('SELECT failed_count FROM pg_stat_archiver'))[0].failed_count));
    if (i < 4) await sleep(interval);
  }
  const [last] = await query('SELECT last_archived_wal, last_failed_wal FROM pg_stat_archiver');
  console.log(`  failed_count every ${scrape} with a refused key: ${observed.join(' ')}`);
  assert.ok(observed.at(-1)! > observed[0], `failed_count grew: ${observed.join(' ')}`);
  assert.is(last.last_failed_wal, failedSegment);
  assert.ok(
    last.last_archived_wal === null || last.last_archived_wal < failedSegment,
    'the segment is not in the repository',
  );
  assert.match(server.log(), /archive command failed/, 'the server log names the failing command');
});

test(`${ALERT} fires on those values (repeated for 12 minutes), and not on a flat counter`, () => {
  const steps = observed.slice(1).map((value, i) => value - observed[i]);
  // The outage goes on as observed: the increments seen, repeated, for 12 minutes of samples.
  const perMinute = 60 / seconds(scrape);
  const series = [observed[0]];
  for (let i = 0; series.length < 12 * perMinute + 1; i++) series.push(series.at(-1)! + steps[i % steps.length]);
  assert.is(firing(series, '12m'), 'fires');
  // `for: 10m`: not yet after 5 minutes of failures.
  assert.match(firing(series, '5m'), /FAILED|exp:/);
  // A counter that does not move (a healthy archiver): no alert.
  assert.match(
    firing(
      series.map(() => observed[0]),
      '12m',
    ),
    /FAILED|exp:/,
  );
});

test('fixed (the right key, the pod restarted): the failed segment and the rest are archived, the counter stops growing', async () => {
  const dataDir = server!.dataDir;
  await server!.stop();
  server = await startDatabase(dataDir);
  await query('INSERT INTO events VALUES (2)');
  const [{ segment: next }] = await query('SELECT pg_walfile_name(pg_switch_wal()) AS segment');
  const deadline = Date.now() + 120_000;
  let stats: any;
  while (Date.now() < deadline) {
    [stats] = await query('SELECT failed_count, last_archived_wal FROM pg_stat_archiver');
    if (stats.last_archived_wal !== null && stats.last_archived_wal >= next) break;
    await sleep(500);
  }
  assert.ok(stats.last_archived_wal >= next, `archived up to ${next}: ${JSON.stringify(stats)}`);
  const before = Number(stats.failed_count);
  await sleep(seconds(scrape) * 1000);
  assert.is(
    Number((await query('SELECT failed_count FROM pg_stat_archiver'))[0].failed_count),
    before,
    'no new failure',
  );
  const paths = { pgdata: dataDir, socketDir: server.socketDir, port: server.port };
  ok(
    await run(
      PGBACKREST,
      ['archive-get', failedSegment, path.join(lab.dir, 'fetched')],
      lab.env(containers.sidecar, lab.podConfig('sidecar.conf', paths)),
    ),
    `the segment that failed (${failedSegment}) is in the repository`,
  );
});

test.run();
