import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { PLACEHOLDER_CREDENTIALS } from '../scripts/assembly/generators.ts';
import { renderedObjects } from '../scripts/verify/schema.ts';
import { PROJECT_ROOT } from './support/cli.ts';
import { sealedSecretYaml } from './support/sealed-secret.ts';

/**
 * Nothing in git may be a real credential. Every Secret value and secretGenerator literal is a
 * placeholder (or a key that is not secret), ExternalSecret and SealedSecret templates hold nothing
 * secret, and no file looks like it holds a key, token or password.
 */
const MARKER = 'dev-only-placeholder';
const NOT_SECRET = ['database', 'username'];
const THIS_FILE = path.relative(PROJECT_ROOT, new URL(import.meta.url).pathname);

/** Every file git has or would add (tracked, or untracked and not ignored). */
const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
  cwd: PROJECT_ROOT,
  encoding: 'utf8',
})
  .split('\n')
  .filter(Boolean)
  .filter((file) => file !== THIS_FILE && !file.startsWith('node_modules/'))
  // A file deleted but not yet committed is listed by --cached; it is not in the tree any more.
  .filter((file) => existsSync(path.join(PROJECT_ROOT, file)));
const text = (file: string) => readFileSync(path.join(PROJECT_ROOT, file), 'utf8');

const valueProblem = (where: string, key: string, value: string) =>
  NOT_SECRET.includes(key) || value.startsWith(MARKER)
    ? []
    : [`${where}: ${key} is not a placeholder (values must start with "${MARKER}")`];

/** Problems with the secret material of one rendered object (a Secret, a generator, a template). */
export function objectSecretProblems(where: string, object: Record<string, any>): string[] {
  const problems: string[] = [];
  if (object.kind === 'Secret') {
    for (const [key, value] of Object.entries<string>(object.data ?? {}))
      problems.push(...valueProblem(where, key, Buffer.from(value, 'base64').toString('utf8')));
    for (const [key, value] of Object.entries<string>(object.stringData ?? {}))
      problems.push(...valueProblem(where, key, value));
  }
  for (const generator of object.kind === 'Kustomization' || object.kind === 'Component'
    ? (object.secretGenerator ?? [])
    : []) {
    for (const literal of generator.literals ?? []) {
      const [key, ...value] = String(literal).split('=');
      problems.push(...valueProblem(`${where}: secretGenerator ${generator.name}`, key, value.join('=')));
    }
    if (generator.files?.length || generator.envs?.length)
      problems.push(`${where}: secretGenerator ${generator.name} reads files; a committed file would hold the secret`);
  }
  const template =
    object.kind === 'ExternalSecret'
      ? object.spec?.target?.template?.data
      : object.kind === 'SealedSecret'
        ? object.spec?.template?.data
        : undefined;
  for (const key of Object.keys(template ?? {}))
    if (!NOT_SECRET.includes(key)) problems.push(`${where}: ${object.kind} template holds ${key} in plain text`);
  return problems;
}

const LINE_PATTERNS: [string, RegExp][] = [
  ['a private key', new RegExp('-----BEGIN [A-Z ]*PRIV' + 'ATE KEY-----')],
  ['an AWS access key', /\bAKIA[0-9A-Z]{16}\b/],
  ['a GitHub token', /\bgh[pousr]_[A-Za-z0-9]{36,}\b/],
  ['a connection string with a password', /\b(postgres(ql)?|mysql|mongodb):\/\/[^\s:@/]+:(?![$<{])[^\s@/]+@/],
];
/**
 * A key ending in password, secret or token given a value, as a YAML key (`db-password: x`) or
 * an assignment (`PASSWORD=x`), in configuration and documentation; code is full of such identifiers.
 */
const ASSIGNED_PASSWORD = [
  /^\s*(?:-\s+)?["']?[\w.-]*?(password|passwd|secret|token)["']?\s*:\s+["']?(?![$<{(])([^\s"',}#]+)/i,
  /[\w.-]*?(password|passwd|secret|token)\s*=\s*["']?(?![$<{(])([^\s"',}]+)/i,
];
const CONFIG_FILE = /\.(ya?ml|conf|md|sh|env|json|properties|ini|txt)$|(^|\/)run$/;

/** The marker, as written or base64-encoded (a rendered Secret's data). */
const isPlaceholder = (value: string) =>
  value.startsWith(MARKER) || Buffer.from(value, 'base64').toString('utf8').startsWith(MARKER);

/** Lines of a file that look like they hold a credential. */
export function lineProblems(file: string, content: string): string[] {
  const problems: string[] = [];
  // A SealedSecret's values are ciphertext under the keys' names; its template is checked as an object.
  const sealed = /\.ya?ml$/.test(file) && /^kind:\s*SealedSecret\s*$/m.test(content);
  content.split('\n').forEach((line, index) => {
    for (const [what, pattern] of LINE_PATTERNS)
      if (pattern.test(line)) problems.push(`${file}:${index + 1}: looks like ${what}`);
    const assigned =
      CONFIG_FILE.test(file) && !sealed
        ? ASSIGNED_PASSWORD.map((pattern) => pattern.exec(line)).find(Boolean)
        : undefined;
    // A key name as the value (`key: password`) or a flag (`automountServiceAccountToken: false`) holds no secret.
    if (
      assigned &&
      !isPlaceholder(assigned[2]) &&
      !/^(password|secret|token|true|false|null|\d+)$/i.test(assigned[2])
    ) {
      problems.push(`${file}:${index + 1}: ${assigned[1]} is assigned a value that is not a placeholder`);
    }
  });
  return problems;
}

test('the placeholder values all carry the marker (except the user name, which is no secret)', () => {
  for (const [key, value] of Object.entries(PLACEHOLDER_CREDENTIALS)) {
    if (!NOT_SECRET.includes(key)) assert.ok(value.startsWith(MARKER), `${key}: ${value}`);
  }
});

test('every Secret, secretGenerator and secret template in git holds placeholders only', () => {
  const yamlFiles = files.filter((file) => /\.ya?ml$/.test(file));
  assert.ok(
    yamlFiles.some((file) => file.startsWith('generated/')) &&
      yamlFiles.some((file) => file.endsWith('kustomization.yaml')),
  );
  const problems = yamlFiles.flatMap((file) => {
    const objects = file.endsWith('kustomization.yaml') ? [parse(text(file))] : renderedObjects(text(file));
    return objects.flatMap((object) => objectSecretProblems(file, object));
  });
  assert.equal(problems, []);
});

test('no file git holds looks like a private key, token or password', () => {
  assert.equal(
    files.flatMap((file) => lineProblems(file, text(file))),
    [],
  );
});

test('the checks catch real-looking values', () => {
  const secret = {
    kind: 'Secret',
    data: { password: Buffer.from('Sup3rS3cret').toString('base64'), database: Buffer.from('app').toString('base64') },
  };
  assert.equal(objectSecretProblems('s.yaml', secret), [
    's.yaml: password is not a placeholder (values must start with "dev-only-placeholder")',
  ]);
  const kustomization = {
    kind: 'Kustomization',
    secretGenerator: [{ name: 'x', literals: ['password=prod-pass'], files: ['tls.key'] }],
  };
  assert.equal(objectSecretProblems('k.yaml', kustomization).length, 2);
  assert.equal(
    objectSecretProblems('e.yaml', {
      kind: 'ExternalSecret',
      spec: { target: { template: { data: { password: 'x' } } } },
    }),
    ['e.yaml: ExternalSecret template holds password in plain text'],
  );
  assert.equal(lineProblems('notes.md', 'DATABASE_URL=postgres://app:hunter2@db:5432/app').length, 1);
  assert.equal(lineProblems('values.yaml', '  password: hunter2'), [
    'values.yaml:1: password is assigned a value that is not a placeholder',
  ]);
  assert.equal(lineProblems('values.yaml', '  password: "$(openssl rand -base64 24)"'), []);
  assert.equal(lineProblems('.env', 'DB_PASSWORD=hunter2'), [
    '.env:1: PASSWORD is assigned a value that is not a placeholder',
  ]);
  assert.equal(lineProblems('notes.md', 'The base has no Secret: each overlay brings its own.'), []);
  assert.equal(lineProblems('key.pem', '-----BEGIN RSA ' + 'PRIVATE KEY-----').length, 1);
  assert.equal(
    lineProblems('prod.sealed-secret.yaml', sealedSecretYaml()),
    [],
    'ciphertext is what a SealedSecret is for',
  );
});

test.run();
