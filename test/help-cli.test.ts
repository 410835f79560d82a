import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { PROJECT_ROOT } from './support/cli.ts';

/** Every npm command a user runs answers --help with its options and exit codes, and refuses an unknown option. */
const COMMANDS: [script: string, unknownExit: number][] = [
  ['build:overlays', 1],
  ['docs', 1],
  ['diff', 2],
  ['bench', 1],
  ['bench:pgbench', 1],
];

const npm = (...args: string[]) =>
  new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
    execFile('npm', ['run', '-s', ...args], { cwd: PROJECT_ROOT, encoding: 'utf8' }, (error, stdout, stderr) =>
      resolve({ status: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });

test('npm run <command> -- --help: usage, options and exit codes, exit 0; an unknown option is refused, naming it', async () => {
  // All at once: each is a process start, mostly waiting on tsx.
  const results = await Promise.all(
    COMMANDS.map(async ([script, unknownExit]) => ({
      script,
      unknownExit,
      help: await npm(script, '--', '--help'),
      unknown: await npm(script, '--', '--no-such-option'),
    })),
  );
  for (const { script, unknownExit, help, unknown } of results) {
    assert.is(help.status, 0, `${script}: ${help.stderr}`);
    for (const part of ['Usage: npm run', 'Options:', '--help', 'Exit codes:'])
      assert.match(help.stdout, part, `${script} --help shows ${part}`);
    assert.is(unknown.status, unknownExit, `${script} with an unknown option: ${unknown.stdout}`);
    assert.match(unknown.stderr, "'--no-such-option'", script);
  }
});

test.run();
