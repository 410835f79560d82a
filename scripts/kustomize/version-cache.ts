import { accessSync, constants, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The version a kustomize (or kubectl) binary printed, kept by the binary's identity: its path,
 * inode, size and modification time, and the arguments asked. Asking costs a process start (about
 * 50 ms, more under load) on every build for an answer that changes only when the file does; a
 * replaced or upgraded binary is a new identity and is asked again. Only a found version is kept.
 */
const FILE = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../node_modules/.cache/postgresql-gitops-bundle/kustomize-versions.json',
);

type Entries = Record<string, { identity: string; version: string }>;

function readEntries(): Entries {
  try {
    return JSON.parse(readFileSync(FILE, 'utf8')) as Entries;
  } catch {
    return {};
  }
}

function identityOf(file: string): string | undefined {
  try {
    const stat = statSync(file);
    return `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
  } catch {
    return undefined;
  }
}

/** `ask()`'s answer for the executable `file` run with `args`, from the cache while the file is unchanged. */
export function cachedVersion(
  file: string,
  args: readonly string[],
  ask: () => string | undefined,
): string | undefined {
  const key = JSON.stringify([path.resolve(file), args]);
  const identity = identityOf(file);
  const entries = readEntries();
  if (identity !== undefined && entries[key]?.identity === identity) return entries[key].version;
  const version = ask();
  if (version === undefined || identity === undefined) return version;
  try {
    mkdirSync(path.dirname(FILE), { recursive: true });
    // Written aside and renamed: a concurrent build never reads half a file.
    const partial = `${FILE}.${process.pid}.partial`;
    writeFileSync(partial, JSON.stringify({ ...readEntries(), [key]: { identity, version } }));
    renameSync(partial, FILE);
  } catch {
    // Not kept: the next build asks again.
  }
  return version;
}

/** Where `command` is found on `PATH`, as a shell would run it; undefined when it is nowhere, so no process is started to learn that. */
export function onPath(command: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, command);
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      // Not here.
    }
  }
  return undefined;
}
