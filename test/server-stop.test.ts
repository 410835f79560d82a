import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from './support/cli.ts';

/**
 * The harness's stop() under a server that ignores SIGINT. The benches stop servers with nothing
 * else keeping node alive; before stop() held its child, such a process ended with exit code 0 and
 * no output as soon as the SIGKILL timer had fired (a pgbench run lost its results that way).
 */
test('stop() kills a server that does not shut down, and waits for it, with nothing else keeping node alive', () => {
  const result = spawnSync(
    path.join(PROJECT_ROOT, 'node_modules/.bin/tsx'),
    [path.join(PROJECT_ROOT, 'test/support/stop-unresponsive-server.ts')],
    { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 60_000 },
  );
  assert.is(result.status, 0, result.stderr);
  assert.match(result.stdout, /^stopped$/m, `stdout: ${result.stdout}\nstderr: ${result.stderr}`);
});

test.run();
