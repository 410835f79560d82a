import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A temporary copy of the project's sources holding `count` environments, made from the project's
 * own dev, staging and prod files in turn (tenant-001 is dev-like, tenant-002 staging-like, …), so a
 * large set is as varied as the real one. node_modules is shared by a symlink.
 */
export function projectWithEnvironments(root: string, count: number): string {
  const copy = mkdtempSync(path.join(tmpdir(), `bench-${count}-`));
  for (const part of ['scripts', 'package.json', 'package-lock.json', 'tsconfig.json'])
    cpSync(path.join(root, part), path.join(copy, part), { recursive: true });
  symlinkSync(path.join(root, 'node_modules'), path.join(copy, 'node_modules'));
  const environments = path.join(copy, 'scripts/environments');
  const templates = ['dev', 'staging', 'prod'].map((name) => ({
    name,
    source: readFileSync(path.join(environments, `${name}.ts`), 'utf8'),
  }));
  for (const file of readdirSync(environments)) rmSync(path.join(environments, file));
  for (let i = 1; i <= count; i++) {
    const template = templates[(i - 1) % templates.length];
    const name = `tenant-${String(i).padStart(3, '0')}`;
    writeFileSync(
      path.join(environments, `${name}.ts`),
      template.source
        .replaceAll(`'${template.name}'`, `'${name}'`)
        .replaceAll(`postgresql/${template.name}`, `postgresql/${name}`),
    );
  }
  return copy;
}
