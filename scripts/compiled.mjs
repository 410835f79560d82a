#!/usr/bin/env node
/**
 * node scripts/compiled.mjs <entry.ts> [args…]: runs a TypeScript command from a compile cache.
 *
 * `tsx` costs about 0.5 s before the first line of a build runs: it starts esbuild's service and
 * transforms or cache-checks every module, then node loads hundreds of kubernetes-models files.
 * Here esbuild (the compiler tsx itself uses) bundles the entry into one file the first time, and
 * every later run whose inputs are unchanged imports that file with plain node.
 *
 * The cache key covers every byte that can change the compiled file: each source file esbuild read
 * (listed from its metafile, hashed as read), the lockfiles (the exact dependency versions), this
 * file, esbuild's and node's versions and the project's path (import.meta.url is fixed at compile
 * time, so a copy of the project at another path compiles its own). A source whose inode, size and
 * nanosecond modification time are those recorded when it was hashed is not read again. Files the build reads at run
 * time (catalog.json, the sh scripts, the environments) are read fresh on every run.
 *
 * The entry exports `run(argv, importModule)`; environment files are compiled the same way on import.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = path.join(ROOT, 'node_modules/.cache/postgresql-gitops-bundle');
const LOCKFILES = ['package-lock.json', 'node_modules/.package-lock.json'].map((file) => path.join(ROOT, file));
// Packages that locate files beside their own code (re2-wasm reads its .wasm via __dirname): loaded from node_modules.
const UNBUNDLED = ['re2-wasm', 'esbuild'];

const sha256 = (data) => createHash('sha256').update(data).digest('hex');
const readOrEmpty = (file) => (existsSync(file) ? readFileSync(file) : '');

/**
 * What every key shares: this file, the lockfiles, esbuild's and node's versions. Computed once per
 * process: a build of a hundred environments imports a hundred compiled environment files, and
 * hashing the lockfiles (160 kB) for each was a tenth of its "config" phase.
 */
let sharedDigest;
function sharedInputs() {
  if (sharedDigest) return sharedDigest;
  const hash = createHash('sha256');
  const esbuildVersion = JSON.parse(readFileSync(path.join(ROOT, 'node_modules/esbuild/package.json'), 'utf8')).version;
  hash.update(JSON.stringify([ROOT, process.version, esbuildVersion]));
  hash.update(readFileSync(fileURLToPath(import.meta.url)));
  for (const lockfile of LOCKFILES) hash.update(sha256(readOrEmpty(lockfile)));
  sharedDigest = hash.digest('hex');
  return sharedDigest;
}

function keyOf(mode, entry, inputs) {
  const hash = createHash('sha256');
  hash.update(JSON.stringify([mode, entry, sharedInputs()]));
  for (const [file, digest] of inputs) hash.update(`\0${file}\0${digest}`);
  return hash.digest('hex').slice(0, 32);
}

/** A file's identity on disk: a write changes its modification time (nanoseconds here) or its size, a replacement its inode. */
const identity = (stat) => `${stat.ino}:${stat.size}:${stat.mtimeNs}`;

/**
 * The compiled file of `entry` if the cache holds one whose every input is unchanged. An input whose
 * identity is the one recorded when it was hashed keeps that digest; any other is read and hashed
 * again (reading and hashing the build's hundred-odd sources was 10-20 ms of every start).
 */
function cached(indexFile, mode, entry) {
  if (!existsSync(indexFile)) return undefined;
  const index = JSON.parse(readFileSync(indexFile, 'utf8'));
  const digests = [];
  for (const file of index.inputs) {
    const stat = statSync(file, { bigint: true, throwIfNoEntry: false });
    if (!stat) return undefined;
    const known = index.identities?.[file];
    digests.push([file, known && known[0] === identity(stat) ? known[1] : sha256(readFileSync(file))]);
  }
  const key = keyOf(mode, entry, digests);
  return key === index.key && existsSync(index.output) ? index.output : undefined;
}

/** Rewrites import.meta.url to the source file's own URL and records the hash of exactly the bytes compiled. */
function sourcePlugin(inputs) {
  return {
    name: 'source-files',
    setup(build) {
      build.onLoad({ filter: /\.(ts|mts|js|mjs)$/ }, (args) => {
        if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        // The identity before the read: a write during the read leaves a newer one, which is hashed again next time.
        const before = identity(statSync(args.path, { bigint: true }));
        const bytes = readFileSync(args.path);
        inputs.set(args.path, { digest: sha256(bytes), identity: before });
        const contents = bytes
          .toString('utf8')
          .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href));
        return { contents, loader: /\.m?ts$/.test(args.path) ? 'ts' : 'js' };
      });
    },
  };
}

async function compile(indexFile, mode, entry) {
  const { build } = await import('esbuild');
  const inputs = new Map();
  const result = await build({
    entryPoints: [entry],
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Split: a module imported lazily (a schema model, the PromQL parser) is a file of its own, read only when used.
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [sourcePlugin(inputs)],
    splitting: true,
    outdir: 'out',
    entryNames: 'entry',
    // The build bundles its dependencies (one file loads faster than node_modules); environments only their own code.
    ...(mode === 'command' ? { external: UNBUNDLED } : { packages: 'external' }),
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
  });
  const sorted = [...inputs].sort(([a], [b]) => a.localeCompare(b));
  const key = keyOf(
    mode,
    entry,
    sorted.map(([file, { digest }]) => [file, digest]),
  );
  const dir = path.join(CACHE, key);
  const output = path.join(dir, 'entry.js');
  // Written aside and renamed: a build interrupted here never leaves a half-written directory to import.
  const partial = `${dir}.${process.pid}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  for (const file of result.outputFiles)
    writeFileSync(path.join(partial, path.relative(path.join(ROOT, 'out'), file.path)), file.contents);
  writeFileSync(path.join(partial, 'package.json'), '{"type": "module"}\n');
  try {
    renameSync(partial, dir);
  } catch (error) {
    // Another build compiled the same inputs first: the same key is the same content, so use it.
    if (!existsSync(output)) throw error;
    rmSync(partial, { recursive: true, force: true });
  }
  const previous = existsSync(indexFile) ? JSON.parse(readFileSync(indexFile, 'utf8')).output : undefined;
  const identities = Object.fromEntries(sorted.map(([file, { digest, identity: id }]) => [file, [id, digest]]));
  writeFileSync(
    `${indexFile}.${process.pid}.partial`,
    JSON.stringify({ key, output, inputs: sorted.map(([file]) => file), identities }),
  );
  renameSync(`${indexFile}.${process.pid}.partial`, indexFile);
  // The entry's previous compilation, and only that: a directory of its own directly under the cache.
  if (previous && previous !== output && path.dirname(path.dirname(previous)) === CACHE)
    rmSync(path.dirname(previous), { recursive: true, force: true });
  return output;
}

/** Imports `file` (absolute), compiling it first unless the cache holds it with unchanged inputs. */
export async function importCompiled(file, mode = 'module') {
  const indexFile = path.join(CACHE, `index-${sha256(`${mode}\0${file}`).slice(0, 16)}.json`);
  const output = cached(indexFile, mode, file) ?? (await compile(indexFile, mode, file));
  return import(pathToFileURL(output).href);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [entry, ...argv] = process.argv.slice(2);
  const command = await importCompiled(path.resolve(entry), 'command');
  process.exit(await command.run(argv, (file) => importCompiled(file)));
}
