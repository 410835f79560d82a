import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyOfBundle, environmentsDir, runBuild, treeOf } from './support/cli.ts';

test('a hidden OOM (shared_buffers 2GB at a 1Gi limit) is refused with the breakdown, and nothing is written', () => {
  const out = copyOfBundle();
  const before = treeOf(out);
  const environments = environmentsDir({
    'staging.ts': `export default { name: 'staging', resources: { limits: { memory: '1Gi' } }, postgresql: { shared_buffers: '2GB' } };\n`,
  });
  const result = runBuild(['--out', out, '--environments', environments]);
  assert.is(result.code, 1);
  assert.match(
    result.stderr,
    "staging: resources.limits.memory: PostgreSQL may use more memory than the container's limit allows",
  );
  assert.match(result.stderr, /shared_buffers\s+2048 MiB/);
  assert.match(result.stderr, /total\s+\d+ MiB\s+\d+\.\d% of the 1024 MiB memory limit/);
  assert.equal(treeOf(out), before);
});

test('max_connections × work_mem beyond the limit is refused too', () => {
  const environments = environmentsDir({
    'dev.ts': `export default { name: 'dev', postgresql: { max_connections: 400, work_mem: '8MB' } };\n`,
  });
  const result = runBuild(['--out', copyOfBundle(), '--environments', environments]);
  assert.is(result.code, 1);
  assert.match(result.stderr, /max_connections × work_mem\s+3200 MiB/);
});

test.run();
