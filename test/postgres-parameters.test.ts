import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ParameterValue } from '../scripts/config/environment.ts';
import {
  formatParameterValue,
  normalizedSetting,
  parameterBytes,
  parameterProblem,
} from '../scripts/postgres/parameters.ts';
import { withServer } from '../tools/postgres/server.ts';

test('an unknown name is refused, with the closest real name when there is one', () => {
  assert.is(parameterProblem('shared_bufers', '1GB'), 'unknown parameter; did you mean "shared_buffers"?');
  assert.is(parameterProblem('work_memory', '4MB'), 'unknown parameter; did you mean "work_mem"?');
  assert.is(parameterProblem('nonsense_parameter', 1), 'unknown parameter: PostgreSQL 16 has no setting by that name');
});

test('names are written in lowercase', () => {
  assert.is(parameterProblem('Shared_Buffers', '1GB'), 'write parameter names in lowercase: "shared_buffers"');
  assert.is(parameterProblem('TimeZone', 'UTC'), 'write parameter names in lowercase: "timezone"');
  assert.is(parameterProblem('timezone', 'UTC'), undefined);
});

test('memory units are PostgreSQL\'s, case-sensitive: "10Gb" is refused', () => {
  assert.is(
    parameterProblem('shared_buffers', '10Gb'),
    '"10Gb" has an invalid unit; valid units are B, kB, MB, GB, TB (case-sensitive)',
  );
  assert.is(parameterProblem('shared_buffers', '1GB'), undefined);
  assert.is(parameterProblem('shared_buffers', '1 GB'), undefined); // a space before the unit is allowed
});

test('time units are us, ms, s, min, h, d', () => {
  assert.is(
    parameterProblem('statement_timeout', '5 sec'),
    '"5 sec" has an invalid unit; valid units are us, ms, s, min, h, d (case-sensitive)',
  );
  assert.is(parameterProblem('statement_timeout', '5s'), undefined);
});

test('a value of the wrong type is refused, saying what the parameter expects', () => {
  assert.is(
    parameterProblem('shared_buffers', true),
    'expects an integer with a unit (B, kB, MB, GB, TB); a bare number means 8kB, not boolean true',
  );
  assert.is(parameterProblem('max_connections', 'lots'), 'expects an integer, not "lots"');
  assert.is(parameterProblem('max_connections', '100 conns'), 'takes no unit: write a plain number, not "100 conns"');
  assert.is(
    parameterProblem('log_connections', 'maybe'),
    'expects a boolean (true/false, or on, off, true, false, yes, no, 1, 0), not "maybe"',
  );
  assert.is(parameterProblem('log_line_prefix', 5), 'expects a string, not number 5');
});

test('a value out of range is refused, showing the range with units', () => {
  assert.is(parameterProblem('shared_buffers', '10TB'), '"10TB" is outside the allowed range 128kB .. 8589934584kB');
  assert.is(parameterProblem('work_mem', '32kB'), '"32kB" is outside the allowed range 64kB .. 2147483647kB');
  assert.is(parameterProblem('vacuum_cost_delay', '200ms'), '"200ms" is outside the allowed range 0 .. 100ms');
  assert.is(parameterProblem('max_connections', 0), 'number 0 is outside the allowed range 1 .. 262143');
  assert.is(parameterProblem('max_connections', '3000000000'), '"3000000000" exceeds the integer range');
});

test('an enum value must be one pg_settings lists', () => {
  assert.is(parameterProblem('wal_level', 'archive'), '"archive" is not one of "minimal", "replica", "logical"');
  assert.is(parameterProblem('wal_level', 'REPLICA'), undefined);
});

test('parameters the bundle owns are refused with the reason', () => {
  assert.is(
    parameterProblem('port', 5433),
    'set by the bundle, not by an environment: the Service, the probes and the clients all use 5432',
  );
  assert.is(
    parameterProblem('listen_addresses', '*'),
    "set by the bundle, not by an environment: the pod must listen on '*' for its Service; allowedClients (the NetworkPolicy) decides who may connect",
  );
  for (const name of [
    'data_directory',
    'config_file',
    'hba_file',
    'ident_file',
    'unix_socket_directories',
    'external_pid_file',
  ]) {
    assert.match(parameterProblem(name, '/somewhere') ?? '', /^set by the bundle, not by an environment: /, name);
  }
});

test('read-only parameters are refused', () => {
  assert.is(
    parameterProblem('block_size', 8192),
    'read-only: it reports how PostgreSQL was built or initialised and cannot be set',
  );
});

test("booleans accept true/false and PostgreSQL's spellings", () => {
  for (const value of [true, 'on', 'TRUE', 'yes', '1', 1]) assert.is(normalizedSetting('log_connections', value), 'on');
  for (const value of [false, 'off', 'False', 'no', '0', 0])
    assert.is(normalizedSetting('log_connections', value), 'off');
});

test('normalizedSetting gives pg_settings.setting: base units, rounded as PostgreSQL rounds', () => {
  assert.is(normalizedSetting('shared_buffers', '256MB'), '32768'); // 8kB pages
  assert.is(normalizedSetting('shared_buffers', 16384), '16384'); // a bare number is in 8kB pages
  assert.is(normalizedSetting('effective_cache_size', '1GB'), '131072');
  assert.is(normalizedSetting('work_mem', '1.5MB'), '1536'); // a fraction becomes whole kB
  assert.is(normalizedSetting('log_temp_files', '10MB'), '10240');
  assert.is(normalizedSetting('log_min_duration_statement', '1s'), '1000'); // ms
  assert.is(normalizedSetting('checkpoint_timeout', '1h'), '3600'); // s
  assert.is(normalizedSetting('max_connections', 2.5), '2'); // rint: half to even
  assert.is(normalizedSetting('max_connections', '0x20'), '32'); // strtol accepts hex
  assert.is(normalizedSetting('vacuum_cost_delay', '1500us'), '1.5'); // a real in ms
  assert.is(normalizedSetting('seq_page_cost', '1e-5'), '1e-05'); // printf %g
  assert.is(normalizedSetting('wal_level', 'REPLICA'), 'replica');
  assert.is(normalizedSetting('ssl_min_protocol_version', 'tlsv1.3'), 'TLSv1.3'); // PostgreSQL's own spelling
  assert.is(normalizedSetting('unix_socket_permissions', '0770'), '0770'); // shown in octal
  assert.is(normalizedSetting('log_line_prefix', '%m [%p] '), '%m [%p] ');
  assert.throws(() => normalizedSetting('shared_buffers', '10Gb'), /shared_buffers: "10Gb" has an invalid unit/);
});

test('parameterBytes converts a memory parameter to bytes', () => {
  assert.is(parameterBytes('shared_buffers', '1GB'), 1024 ** 3);
  assert.is(parameterBytes('work_mem', 4096), 4 * 1024 ** 2);
  assert.throws(() => parameterBytes('max_connections', 100), /not a memory parameter/);
});

test('formatParameterValue writes postgresql.conf syntax', () => {
  assert.is(formatParameterValue(100), '100');
  assert.is(formatParameterValue(0.9), '0.9');
  assert.is(formatParameterValue(true), 'on');
  assert.is(formatParameterValue(false), 'off');
  assert.is(formatParameterValue('256MB'), "'256MB'");
  assert.is(formatParameterValue("it's"), "'it''s'");
  // The conf lexer reads backslash escapes inside quotes.
  assert.is(formatParameterValue('C:\\logs'), "'C:\\\\logs'");
});

// A server's -c option takes the raw value: no quotes, booleans as on/off.
const commandLineValue = (value: ParameterValue) =>
  typeof value === 'boolean' ? (value ? 'on' : 'off') : String(value);

test('the real server shows exactly normalizedSetting, via -c and via postgresql.conf', async () => {
  const onCommandLine: Record<string, ParameterValue> = {
    shared_buffers: '256MB',
    max_connections: 42,
    work_mem: '1.5MB',
    maintenance_work_mem: '1GB',
    effective_cache_size: '3GB',
    max_wal_size: '2GB',
    wal_writer_flush_after: '1MB',
    temp_file_limit: '1TB',
    log_temp_files: '10MB',
    log_min_duration_statement: '1.5s',
    statement_timeout: '2min',
    checkpoint_timeout: '1h',
    log_rotation_age: '1d',
    vacuum_cost_delay: '1500us',
    random_page_cost: 1.1,
    cursor_tuple_fraction: 0.05,
    log_connections: true,
    log_lock_waits: 'yes',
    logging_collector: false,
    wal_level: 'REPLICA',
    ssl_min_protocol_version: 'tlsv1.3',
    password_encryption: 'scram-sha-256',
    unix_socket_permissions: '0770',
    log_line_prefix: '%m [%p] user=%u db=%d client=%h app=%a ',
  };
  // These go through postgresql.conf, where quoting and escaping matter.
  const inConfFile: Record<string, ParameterValue> = {
    application_name: "it's \\ here",
    search_path: '"$user", public',
    idle_in_transaction_session_timeout: '10min',
    jit: false,
    seq_page_cost: 0.5,
  };
  const args = Object.entries(onCommandLine).map(([name, value]) => `${name}=${commandLineValue(value)}`);
  const postgresqlConf = Object.entries(inConfFile)
    .map(([name, value]) => `${name} = ${formatParameterValue(value)}`)
    .join('\n');
  const expected = { ...onCommandLine, ...inConfFile };
  for (const [name, value] of Object.entries(expected)) assert.is(parameterProblem(name, value), undefined, name);

  const shown = await withServer({ args, postgresqlConf }, async (server) => {
    const client = await server.connect();
    try {
      const { rows } = await client.query<{ name: string; setting: string }>(
        'SELECT name, setting FROM pg_settings WHERE name = ANY($1)',
        [Object.keys(expected)],
      );
      return Object.fromEntries(rows.map((row) => [row.name, row.setting]));
    } finally {
      await client.end();
    }
  });
  const predicted = Object.fromEntries(
    Object.keys(shown).map((name) => [name, normalizedSetting(name, expected[name])]),
  );
  assert.equal(shown, predicted);
  assert.equal(Object.keys(shown).sort(), Object.keys(expected).sort());
});

test.run();
