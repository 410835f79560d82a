import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Environment } from '../../scripts/config/environment.ts';
import {
  connect,
  initDataDirectory,
  makeServerDirectory,
  removeServerDirectory,
  startServer,
} from '../../tools/postgres/server.ts';
import { renderedObjects } from '../../scripts/verify/schema.ts';
import { find } from './rendered.ts';
import { localTlsConf, makeTestCa } from './tls.ts';
import { TLS_DIR } from '../../scripts/vocabulary/paths.ts';

/** Boots the rendered postgresql.conf and pg_hba.conf as the pod does; undefined when all went well. */
export async function bootProblem(environment: Environment, yaml: string): Promise<string | undefined> {
  const objects = renderedObjects(yaml);
  const configMap = find(objects, 'ConfigMap', 'postgresql-config');
  const root = makeServerDirectory(`pg-gen-${environment.name}-`);
  const { uid, gid } = statSync(root);
  const configDir = path.join(root, 'config');
  mkdirSync(configDir, { mode: 0o700 });
  chownSync(configDir, uid, gid);
  // Where the environment serves TLS, a certificate made here stands in for the mounted Secret's.
  const certificate = objects.find((o) => o.kind === 'Certificate' && o.spec?.secretName === 'postgresql-tls');
  const tlsFiles = certificate
    ? makeTestCa(root).issue('server', [...certificate.spec.dnsNames, ...(certificate.spec.ipAddresses ?? [])])
    : undefined;
  for (const [file, content] of Object.entries(configMap.data as Record<string, string>)) {
    writeFileSync(
      path.join(configDir, file),
      file === 'tls.conf' && tlsFiles ? localTlsConf(content, TLS_DIR, tlsFiles) : content,
    );
    chownSync(path.join(configDir, file), uid, gid);
  }
  const dataDir = path.join(root, 'pgdata');
  const password = randomBytes(18).toString('base64url');
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    await initDataDirectory({ dataDir, superuser: 'postgres', password, database: environment.database });
    server = await startServer({
      dataDir,
      args: [`config_file=${configDir}/postgresql.conf`, `hba_file=${configDir}/pg_hba.conf`],
      startTimeoutMs: 20000,
    });
    const ssl = tlsFiles ? { ssl: { ca: readFileSync(path.join(root, 'ca.crt'), 'utf8') } } : {};
    const admin = await connect({
      port: server.port,
      user: 'postgres',
      password,
      database: environment.database,
      ...ssl,
    });
    try {
      // A role made under the environment's own password_encryption must be able to log in.
      await admin.query(`CREATE ROLE app_login LOGIN PASSWORD '${password}'`);
      const app = await connect({
        port: server.port,
        user: 'app_login',
        password,
        database: environment.database,
        ...ssl,
      });
      await app.end();
    } finally {
      await admin.end();
    }
    return undefined;
  } catch (error) {
    const log = server?.log() ?? '';
    return `${(error as Error).message}${
      log
        ? `\n    ${log
            .split('\n')
            .filter((l) => /FATAL|PANIC|ERROR|LOG: {2}invalid/.test(l))
            .slice(0, 3)
            .join('\n    ')}`
        : ''
    }`;
  } finally {
    await server?.stop();
    removeServerDirectory(root);
  }
}
