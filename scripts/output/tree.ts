import fg from 'fast-glob';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/** Files by their path relative to the project root (always with "/"), and their content. */
export type FileTree = Map<string, string>;

export function mergeTrees(...trees: FileTree[]): FileTree {
  return new Map(trees.flatMap((tree) => [...tree]));
}

/*
 * Synchronous on purpose: a build reads and writes hundreds of small files with nothing to do
 * meanwhile, and each asynchronous call waits its turn in libuv's thread pool (at 100
 * environments that waiting was a second of every build).
 */

export async function writeTree(root: string, tree: FileTree): Promise<void> {
  for (const dir of new Set([...tree.keys()].map((file) => path.dirname(path.join(root, file)))))
    mkdirSync(dir, { recursive: true });
  for (const [file, content] of tree) writeFileSync(path.join(root, file), content);
}

/** The files on disk under `owned` paths (directories or files), in the same shape as a FileTree. */
export async function readOwnedFiles(root: string, owned: readonly string[]): Promise<FileTree> {
  const tree: FileTree = new Map();
  for (const entry of owned) {
    const isDirectory = entry.endsWith('/');
    const files = isDirectory
      ? fg.sync('**/*', { cwd: path.join(root, entry), dot: true, onlyFiles: true }).map((file) => entry + file)
      : [entry];
    for (const file of files.sort()) {
      if (existsSync(path.join(root, file))) tree.set(file, readFileSync(path.join(root, file), 'utf8'));
    }
  }
  return tree;
}

export interface TreeDifference {
  readonly changed: string[];
  readonly missing: string[];
  readonly extra: string[];
  readonly unchanged: string[];
}

/** How the files on disk differ from the files a build produces. */
export function compareTrees(produced: FileTree, onDisk: FileTree): TreeDifference {
  const sorted = (files: Iterable<string>) => [...files].sort();
  return {
    changed: sorted([...produced.keys()].filter((file) => onDisk.has(file) && onDisk.get(file) !== produced.get(file))),
    missing: sorted([...produced.keys()].filter((file) => !onDisk.has(file))),
    extra: sorted([...onDisk.keys()].filter((file) => !produced.has(file))),
    unchanged: sorted([...produced.keys()].filter((file) => onDisk.get(file) === produced.get(file))),
  };
}

/** A scratch directory inside the project, so moving its content into place is a rename on one filesystem. */
export async function scratchDirectory(root: string): Promise<string> {
  const dir = path.join(root, `.build-${randomBytes(6).toString('hex')}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

/**
 * Moves the `owned` paths (directories ending in "/", or files) from `staging` into `root`,
 * replacing what is there: whole directories, so files the build no longer produces vanish.
 * Each step is a rename; if one fails, the ones already done are undone, so the previous tree
 * stays intact.
 */
export async function replaceOwnedPaths(root: string, staging: string, owned: readonly string[]): Promise<void> {
  const backup = await scratchDirectory(root);
  const done: { entry: string; hadPrevious: boolean }[] = [];
  try {
    for (const entry of owned) {
      const target = path.join(root, entry);
      const saved = path.join(backup, entry);
      const hadPrevious = existsSync(target);
      await mkdir(path.dirname(saved), { recursive: true });
      await mkdir(path.dirname(target), { recursive: true });
      if (hadPrevious) await rename(target, saved);
      done.push({ entry, hadPrevious });
      if (existsSync(path.join(staging, entry))) await rename(path.join(staging, entry), target);
    }
  } catch (error) {
    for (const { entry, hadPrevious } of done.reverse()) {
      await rm(path.join(root, entry), { recursive: true, force: true });
      if (hadPrevious) await rename(path.join(backup, entry), path.join(root, entry));
    }
    throw error;
  } finally {
    await rm(backup, { recursive: true, force: true });
  }
}
