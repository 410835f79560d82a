/**
 * npx tsx tools/bench/failover.ts [--environment prod] [--kills 5] [--stops 3]   (npm run bench:failover)
 *
 * How long an environment's writes stop when its primary dies, on real servers: the environment's
 * rendered Patroni configuration (generated/<env>.yaml) on Debian's Patroni 3.0.2 and PostgreSQL 15,
 * etcd standing in for the Kubernetes API (test/support/patroni-config.ts says what else differs).
 * A writer commits rows all along; each round kill -9's the primary's Patroni and postmaster, then
 * restarts the old primary and waits until it streams again. Then graceful stops (SIGTERM to Patroni,
 * as a drain does). Reports, per failure, seconds from the failure to the first write acknowledged on
 * the new primary, acknowledged rows the new primary lacks, and the old primary's rejoin time.
 * Prints a markdown table and writes bench/results/failover.json (prod; failover-<env>.json for another). Nothing is
 * asserted here:
 * test/patroni-*-servers.test.ts hold the limits.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { failPrimary, rejoin, type Failover } from '../../test/support/failover.ts';
import { patroniCluster, PATRONI_BINARY, type PatroniCluster } from '../../test/support/patroni-cluster.ts';
import { startWriter } from '../../test/support/writer.ts';
import { spreadOf, type Spread } from './stats.ts';
import { gitCommit } from './commit.ts';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const USAGE = 'usage: npx tsx tools/bench/failover.ts [--environment prod] [--kills 5] [--stops 3]';

interface Trial extends Failover {
  readonly how: 'kill' | 'stop';
  readonly rejoinSeconds: number;
  readonly rewound: boolean;
}

function options(argv: readonly string[]) {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      environment: { type: 'string', default: 'prod' },
      kills: { type: 'string', default: '5' },
      stops: { type: 'string', default: '3' },
    },
  });
  const count = (name: 'kills' | 'stops', least: number) => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < least)
      throw new Error(`--${name} must be a whole number of at least ${least}, got "${values[name]}"\n${USAGE}`);
    return value;
  };
  return { environment: values.environment!, kills: count('kills', 1), stops: count('stops', 0) };
}

async function trial(cluster: PatroniCluster, how: 'kill' | 'stop'): Promise<Trial> {
  const writer = await startWriter(cluster);
  const failover = await failPrimary(cluster, writer, how).finally(() => writer.stop());
  const back = await rejoin(cluster, failover.oldPrimary, failover.newPrimary);
  return { how, ...failover, rejoinSeconds: back.seconds, rewound: back.rewound };
}

export async function runFailoverBench(argv: readonly string[]): Promise<void> {
  const { environment, kills, stops } = options(argv);
  const source = `generated/${environment}.yaml`;
  console.log(
    `${environment}: ${kills} kill -9 and ${stops} graceful stops of the primary; configuration from ${source}`,
  );
  const cluster = await patroniCluster(environment);
  const trials: Trial[] = [];
  try {
    const [{ version }] = await cluster.query(
      await cluster.waitForLeader(10_000),
      "SELECT current_setting('server_version') AS version",
    );
    for (const [how, rounds] of [
      ['kill', kills],
      ['stop', stops],
    ] as const) {
      for (let round = 1; round <= rounds; round++) {
        const result = await trial(cluster, how);
        trials.push(result);
        console.log(
          `  ${how} ${round}/${rounds}: postgresql-${result.oldPrimary} → postgresql-${result.newPrimary}, writes back after ${result.writesBackSeconds} s, ` +
            `${result.lost.length} of ${result.acknowledged} acknowledged rows lost (${result.acknowledgedBefore} before the failure), rejoined in ${result.rejoinSeconds} s (pg_rewind ${result.rewound ? 'ran' : 'not needed'})`,
        );
      }
    }
    const dcs = cluster.rendered.bootstrap.dcs;
    const of = (how: 'kill' | 'stop') => trials.filter((t) => t.how === how);
    const summary = (how: 'kill' | 'stop') =>
      of(how).length === 0
        ? undefined
        : {
            trials: of(how).length,
            writesBackSeconds: spreadOf(of(how).map((t) => t.writesBackSeconds)),
            rowsLost: of(how).reduce((sum, t) => sum + t.lost.length, 0),
            rowsAcknowledged: of(how).reduce((sum, t) => sum + t.acknowledged, 0),
            rowsAcknowledgedBeforeFailure: of(how).reduce((sum, t) => sum + t.acknowledgedBefore, 0),
            rejoinSeconds: spreadOf(of(how).map((t) => t.rejoinSeconds)),
            rewound: of(how).filter((t) => t.rewound).length,
          };
    const report = {
      environment,
      command: `npx tsx tools/bench/failover.ts ${argv.join(' ')}`.trim(),
      date: new Date().toISOString(),
      commit: gitCommit(),
      configuration: source,
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model,
        memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
        loadAverageAtStart: os.loadavg()[0],
        patroni: execFileSync(PATRONI_BINARY, ['--version'], { encoding: 'utf8' }).trim(),
        postgresql: version,
        store: 'etcd 3.4 (standing in for the Kubernetes API)',
      },
      dcs: {
        ttl: dcs.ttl,
        loop_wait: dcs.loop_wait,
        retry_timeout: dcs.retry_timeout,
        synchronous_mode: dcs.synchronous_mode,
        failsafe_mode: dcs.failsafe_mode,
      },
      measures: {
        writesBackSeconds: 'from the kill -9 (or SIGTERM) to the first write acknowledged by another member',
        rowsLost:
          'acknowledged ids missing on the new primary (a writer commits one row at a time, 20 ms apart, from 3 s before the failure to 2 s after writes are back)',
        rejoinSeconds: "from the restart of the old primary's Patroni to it streaming from the new primary",
      },
      kill: summary('kill'),
      gracefulStop: summary('stop'),
      trials: trials.map(({ lost, ...rest }) => ({ ...rest, lost: lost.length })),
    };
    console.log(`\n${table(report.kill, report.gracefulStop)}`);
    const file = path.join(
      PROJECT_ROOT,
      'bench',
      'results',
      environment === 'prod' ? 'failover.json' : `failover-${environment}.json`,
    );
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    console.log(
      `\nttl ${dcs.ttl}, loop_wait ${dcs.loop_wait}, synchronous_mode ${dcs.synchronous_mode}; Written: ${path.relative(PROJECT_ROOT, file)}`,
    );
  } finally {
    await cluster.remove();
  }
}

type Summary =
  | {
      trials: number;
      writesBackSeconds: Spread;
      rowsLost: number;
      rowsAcknowledged: number;
      rowsAcknowledgedBeforeFailure: number;
      rejoinSeconds: Spread;
      rewound: number;
    }
  | undefined;

function table(kill: Summary, stop: Summary): string {
  const spread = (s: Spread) => `${s.median} (${s.min}–${s.max})`;
  const row = (name: string, s: Summary) =>
    s &&
    `| ${name} | ${s.trials} | ${spread(s.writesBackSeconds)} | ${s.rowsLost} of ${s.rowsAcknowledged} | ${spread(s.rejoinSeconds)} | ${s.rewound} of ${s.trials} |`;
  return [
    '| failure of the primary | trials | writes back after, s: median (min–max) | acknowledged rows lost | old primary streaming again after, s | pg_rewind ran |',
    '| --- | --- | --- | --- | --- | --- |',
    row('kill -9 of Patroni and postmaster', kill),
    row('graceful stop (SIGTERM to Patroni)', stop),
  ]
    .filter(Boolean)
    .join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runFailoverBench(process.argv.slice(2)).catch((error: unknown) => {
    console.error(`failover benchmark failed: ${(error as Error).message}`);
    process.exitCode = 1;
  });
}
