import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { defaults } from '../scripts/config/defaults.ts';
import { resolveEnvironment } from '../scripts/config/resolve.ts';
import { localeParameters } from '../scripts/postgres/locale.ts';
import { normalizedSetting } from '../scripts/postgres/parameters.ts';
import {
  asServerAccount,
  EMBEDDED_16,
  makeServerDirectory,
  removeServerDirectory,
  startServer,
} from '../tools/postgres/server.ts';
import { serverEnvironment } from '../tools/postgres/server-account.ts';
import { effectiveParameters } from './support/postgresql-conf.ts';
import { find, rendered, renderedEnvironments } from './support/rendered.ts';

/**
 * The locale parameters the bundle renders are what a stock initdb of that locale writes, proven on
 * PostgreSQL 16's own initdb: run as the image runs it (its LANG, a container's zone: UTC), its
 * postgresql.conf read back and the server started on it, against the rendered values.
 */
const NAMES = Object.keys(localeParameters('C'));

/** A stock cluster: initdb with `locale` and TZ=UTC; what it wrote, and what its server reports. */
async function stock(locale: string): Promise<{ written: Record<string, string>; reported: Record<string, string> }> {
  const root = makeServerDirectory('locale-');
  const dataDir = path.join(root, 'data');
  try {
    const [command, args] = asServerAccount(EMBEDDED_16.initdb, [
      `--pgdata=${dataDir}`,
      `--locale=${locale}`,
      '--encoding=UTF8',
      '--no-sync',
      '--username=postgres',
      '--auth=trust',
    ]);
    await promisify(execFile)(command, args, { env: { ...serverEnvironment(), TZ: 'UTC', LANG: locale } });
    const written = effectiveParameters({
      'postgresql.conf': readFileSync(path.join(dataDir, 'postgresql.conf'), 'utf8'),
    });
    const server = await startServer({ dataDir });
    try {
      const pg = (await import('pg')).default;
      const client = new pg.Client({
        host: server.socketDir,
        port: server.port,
        user: 'postgres',
        database: 'postgres',
      });
      await client.connect();
      const { rows } = await client.query('SELECT name, setting FROM pg_settings WHERE lower(name) = ANY($1)', [NAMES]);
      await client.end();
      return { written, reported: Object.fromEntries(rows.map((row) => [row.name.toLowerCase(), row.setting])) };
    } finally {
      await server.stop();
    }
  } finally {
    removeServerDirectory(root);
  }
}

for (const locale of [defaults.locale, 'C']) {
  test(`${locale}: the rendered locale parameters are what initdb writes for it, and what its server then reports`, async () => {
    const { written, reported } = await stock(locale);
    const ours = localeParameters(locale);
    for (const name of NAMES) {
      assert.ok(written[name] !== undefined, `initdb wrote ${name}`);
      assert.is(
        normalizedSetting(name, ours[name]),
        normalizedSetting(name, written[name]),
        `${name}: rendered ${ours[name]}, initdb wrote ${written[name]}`,
      );
      assert.is(
        normalizedSetting(name, ours[name]),
        reported[name],
        `${name}: the stock server reports ${reported[name]}`,
      );
    }
  });
}

for (const environment of renderedEnvironments()) {
  test(`${environment}: the rendered ConfigMap carries the locale parameters of the image's locale`, () => {
    const effective = effectiveParameters(find(rendered(environment), 'ConfigMap', 'postgresql-config').data);
    for (const [name, value] of Object.entries(localeParameters(defaults.locale)))
      assert.is(effective[name], String(value), name);
  });
}

test("another locale brings its own parameters; an environment's own parameter still wins; a bad locale is refused", () => {
  const german = resolveEnvironment({ name: 'qa', locale: 'de_DE.utf8', postgresql: { lc_time: 'C' } }, 'qa.ts');
  assert.is(german.postgresql.lc_messages, 'de_DE.utf8');
  assert.is(german.postgresql.default_text_search_config, 'pg_catalog.german');
  assert.is(german.postgresql.lc_time, 'C');
  assert.throws(
    () => resolveEnvironment({ name: 'qa', locale: 'german' }, 'qa.ts'),
    /qa: locale: must be a locale such as "en_US\.utf8"/,
  );
});

test.run();
