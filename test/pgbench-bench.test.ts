import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chownSync, existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { benchOptions } from '../tools/bench/pgbench-options.ts';
import { tunedConfiguration } from '../tools/bench/pgbench-configurations.ts';
import {
  connect,
  initDataDirectory,
  makeServerDirectory,
  removeServerDirectory,
  startServer,
} from '../tools/postgres/server.ts';
import { PROJECT_ROOT } from './support/cli.ts';
import { find, rendered, renderedEnvironments } from './support/rendered.ts';

/**
 * `npm run bench:pgbench` starts each environment's rendered configuration the way the bench does,
 * not the way the pod does: this proves that what it measures boots. It did not, once: prod's
 * tls.conf pointed at the pod's certificate, and the bench failed before its first run; then
 * archiving.conf's archive_command failed and was retried for every segment, on the tuned side only.
 */
for (const name of renderedEnvironments()) {
  test(`${name}: the bench's tuned configuration boots PostgreSQL 16 with the environment's parameters, without TLS or archiving`, async () => {
    const root = makeServerDirectory(`bench-config-${name}-`);
    try {
      const { uid, gid } = statSync(root);
      const configDir = path.join(root, 'tuned');
      mkdirSync(configDir);
      chownSync(configDir, uid, gid);
      const configuration = tunedConfiguration(path.join(PROJECT_ROOT, 'generated', `${name}.yaml`), configDir);
      const data = find(rendered(name), 'ConfigMap', 'postgresql-config').data as Record<string, string>;
      const servesTls = data['tls.conf'] !== undefined;
      for (const file of ['tls.conf', 'archiving.conf'])
        assert.is(existsSync(path.join(configDir, file)), false, `${file} is left out`);
      assert.ok(existsSync(path.join(configDir, 'postgresql.conf')));
      assert.is(
        configuration.args.some((arg) => arg.startsWith('hba_file=')),
        !servesTls,
        "the rendered pg_hba.conf is used unless it is hostssl only (the tls component's)",
      );

      const password = 'bench-config-test';
      await initDataDirectory({ dataDir: path.join(root, 'data'), password });
      const server = await startServer({ dataDir: path.join(root, 'data'), args: configuration.args });
      try {
        const client = await connect({ port: server.port, user: 'postgres', password });
        try {
          const setting = async (parameter: string) =>
            (await client.query<{ value: string }>('SELECT current_setting($1) AS value', [parameter])).rows[0].value;
          assert.is(await setting('ssl'), 'off');
          assert.is(await setting('archive_mode'), 'off');
          // The environment's own value (environment.conf, read last), else the shared file's: not initdb's.
          const configured = (parameter: string) =>
            [data['environment.conf'], data['postgresql.conf']]
              .map((file) => new RegExp(`^${parameter} = '(.+)'$`, 'm').exec(file ?? '')?.[1])
              .find((value) => value !== undefined);
          for (const parameter of ['shared_buffers', 'max_wal_size', 'checkpoint_timeout'])
            assert.is(await setting(parameter), configured(parameter), parameter);
        } finally {
          await client.end();
        }
      } finally {
        await server.stop();
      }
    } finally {
      removeServerDirectory(root);
    }
  });
}

test('--io-limit takes off, gp3 or IOPS:MIBPS and refuses anything else, naming what it takes', () => {
  assert.is(benchOptions([])?.ioLimit, 'off');
  assert.is(benchOptions(['--io-limit', 'gp3'])?.ioLimit, 'gp3');
  assert.is(benchOptions(['--io-limit', '500:100'])?.ioLimit, '500:100');
  for (const bad of ['fast', '0:100', '3000', '3000:125MB'])
    assert.throws(() => benchOptions(['--io-limit', bad]), /--io-limit must be off, gp3 or IOPS:MIBPS/);
});

test('--read-only defaults to --duration; 0 leaves the workload out; negative is refused', () => {
  assert.is(benchOptions(['--duration', '300'])?.readOnly, 300);
  assert.is(benchOptions(['--duration', '300', '--read-only', '0'])?.readOnly, 0);
  for (const bad of ['--read-only=-1', '--read-only=soon', '--read-only=1.5'])
    assert.throws(() => benchOptions([bad]), /--read-only must be a whole number of seconds/);
});

test("--set NAME=VALUE goes on the tuned side's command line, after its files; anything else is refused", () => {
  const options = benchOptions(['--set', 'shared_buffers=512MB', '--set', 'bgwriter_lru_maxpages=400']);
  assert.equal(options?.set, [
    ['shared_buffers', '512MB'],
    ['bgwriter_lru_maxpages', '400'],
  ]);
  assert.equal(benchOptions([])?.set, []);
  for (const bad of ['shared_buffers', 'shared_buffers=', '=512MB', 'Shared Buffers=1'])
    assert.throws(() => benchOptions(['--set', bad]), /--set must be NAME=VALUE/);

  const root = makeServerDirectory('bench-config-set-');
  try {
    const configuration = tunedConfiguration(path.join(PROJECT_ROOT, 'generated', 'prod.yaml'), root, options!.set);
    // -c options after config_file: PostgreSQL applies the command line over every file.
    assert.equal(configuration.args.slice(-2), ['shared_buffers=512MB', 'bgwriter_lru_maxpages=400']);
    assert.match(configuration.source, /with shared_buffers=512MB, bgwriter_lru_maxpages=400 \(--set\)$/);
  } finally {
    removeServerDirectory(root);
  }
});

test('--rate adds fixed-rate read-write runs; 0 (the default) leaves them out; anything else is refused', () => {
  assert.is(benchOptions([])?.rate, 0);
  assert.is(benchOptions(['--rate', '1000'])?.rate, 1000);
  for (const bad of ['--rate=-1', '--rate=fast', '--rate=1.5'])
    assert.throws(() => benchOptions([bad]), /--rate must be a whole number of transactions per second/);
});

test('--warm-up takes whole seconds, 0 (the default) for none', () => {
  assert.is(benchOptions([])?.warmUp, 0);
  assert.is(benchOptions(['--warm-up', '120'])?.warmUp, 120);
  for (const bad of ['--warm-up=-1', '--warm-up=long', '--warm-up=0.5'])
    assert.throws(() => benchOptions([bad]), /--warm-up must be a whole number of seconds/);
});

test.run();
