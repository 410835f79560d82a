import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runsAsRoot, serverIds } from '../../tools/postgres/server-account.ts';

/** File names follow cert-manager's Secret keys, as the pods mount them. */
export interface CertificateFiles {
  readonly dir: string;
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

export interface TestCa {
  readonly caFile: string;
  /** A server certificate for 127.0.0.1 and localhost. */
  readonly server: CertificateFiles;
  /** A client certificate with this CN. */
  client(cn: string): CertificateFiles;
}

const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });

/** A CA made by the test with openssl, and certificates it signs, in `dir` (owned by the server account). */
export function makeTestCa(dir: string): TestCa {
  const caKey = path.join(dir, 'ca.key');
  const caFile = path.join(dir, 'ca.crt');
  openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=pitr test CA',
    '-keyout',
    caKey,
    '-out',
    caFile,
  ]);
  const issue = (name: string, subject: string, extensions: string): CertificateFiles => {
    const target = path.join(dir, name);
    openssl([
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-subj',
      subject,
      '-keyout',
      `${target}.key`,
      '-out',
      `${target}.csr`,
    ]);
    writeFileSync(`${target}.ext`, `${extensions}\n`);
    openssl([
      'x509',
      '-req',
      '-in',
      `${target}.csr`,
      '-CA',
      caFile,
      '-CAkey',
      caKey,
      '-CAcreateserial',
      '-days',
      '2',
      '-out',
      `${target}.crt`,
      '-extfile',
      `${target}.ext`,
    ]);
    for (const file of readdirSync(dir)) {
      // pgBackRest refuses a key others can read, as PostgreSQL does.
      if (file.endsWith('.key')) chmodSync(path.join(dir, file), 0o600);
      if (runsAsRoot) chownSync(path.join(dir, file), ...serverIds());
    }
    return { dir, cert: `${target}.crt`, key: `${target}.key`, ca: caFile };
  };
  const server = issue(
    'server',
    '/CN=127.0.0.1',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth',
  );
  return { caFile, server, client: (cn) => issue(`client-${cn}`, `/CN=${cn}`, 'extendedKeyUsage=clientAuth') };
}
