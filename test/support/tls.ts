import { execFileSync } from 'node:child_process';
import { chownSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** A CA and certificates it signs, made by openssl in `dir`, readable by the server account as PostgreSQL requires. */
export interface TestCa {
  readonly dir: string;
  readonly caFile: string;
  /** A server certificate and key for these names (DNS names, or IP addresses for a.b.c.d): [cert, key] paths. */
  issue(name: string, names: readonly string[], days?: number): { cert: string; key: string };
  /** The certificate's serial number, as openssl prints it. */
  serial(certFile: string): string;
}

const openssl = (args: readonly string[], cwd: string) =>
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });

/** Files owned like `dir` (the server account's when the tests run as root), the key 0600 as PostgreSQL demands of its owner. */
function own(dir: string, file: string, mode: number): void {
  const { uid, gid } = statSync(dir);
  chownSync(file, uid, gid);
  execFileSync('chmod', [mode.toString(8), file]);
}

export function makeTestCa(dir: string): TestCa {
  const caKey = path.join(dir, 'ca.key');
  const caFile = path.join(dir, 'ca.crt');
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      caKey,
      '-out',
      caFile,
      '-days',
      '2',
      '-subj',
      '/CN=test CA',
    ],
    dir,
  );
  own(dir, caFile, 0o644);
  return {
    dir,
    caFile,
    issue(name, names, days = 2) {
      const key = path.join(dir, `${name}.key`);
      const csr = path.join(dir, `${name}.csr`);
      const cert = path.join(dir, `${name}.crt`);
      const ext = path.join(dir, `${name}.ext`);
      const san = names.map((n) => (/^\d+\.\d+\.\d+\.\d+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
      writeFileSync(ext, `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature\n`);
      openssl(
        [
          'req',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:P-256',
          '-nodes',
          '-keyout',
          key,
          '-out',
          csr,
          '-subj',
          `/CN=${names[0]}`,
        ],
        dir,
      );
      openssl(
        [
          'x509',
          '-req',
          '-in',
          csr,
          '-CA',
          caFile,
          '-CAkey',
          caKey,
          '-CAcreateserial',
          '-out',
          cert,
          '-days',
          String(days),
          '-extfile',
          ext,
        ],
        dir,
      );
      own(dir, key, 0o600);
      own(dir, cert, 0o644);
      return { cert, key };
    },
    serial(certFile) {
      return openssl(['x509', '-noout', '-serial', '-in', certFile], dir)
        .trim()
        .replace(/^serial=/, '');
    },
  };
}

/**
 * A rendered tls.conf pointed at files on the test machine: the paths of the pod's Secret mount
 * replaced, nothing else changed.
 */
export function localTlsConf(rendered: string, mountDir: string, files: { cert: string; key: string }): string {
  return rendered
    .replaceAll(`'${mountDir}/tls.crt'`, `'${files.cert}'`)
    .replaceAll(`'${mountDir}/tls.key'`, `'${files.key}'`);
}

export { readFileSync };
