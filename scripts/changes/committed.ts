import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The committed files a build compares with, and where they came from. */
export interface CommittedFiles {
  /** "HEAD", "merge-base(HEAD, origin/main)", or "the files on disk" outside git. */
  readonly label: string;
  /** Each file asked for; undefined where it is not committed (a new environment). */
  readonly files: Map<string, string | undefined>;
}

/** git, asynchronously: a build asks while kustomize renders, and its main thread keeps verifying. */
const git = (cwd: string, args: readonly string[]): Promise<{ status: number; stdout: string }> =>
  new Promise((resolve) => {
    execFile('git', args, { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }, (error, stdout) => {
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout });
    });
  });

/**
 * `files` (relative to `dir`) as a build's changes are compared with them: the committed render,
 * not the working tree (a hand-edited generated/<env>.yaml must neither invent nor hide a refusal).
 * In a pull or merge request (GITHUB_BASE_REF, CI_MERGE_REQUEST_TARGET_BRANCH_NAME) that is where
 * the branch left its target; otherwise HEAD. Outside a git checkout, or in one without commits,
 * the files on disk.
 *
 * All files come from one `git cat-file --batch` (the commit's own name first, which also tells a
 * checkout without commits) instead of a `git show` each: a process start costs about 0.03 s here,
 * so three environments saved 0.1 s and a hundred seconds. Asynchronous, so it runs while kustomize does.
 */
export async function committedFiles(
  dir: string,
  files: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<CommittedFiles> {
  const onDisk = (): CommittedFiles => ({
    label: 'the files on disk',
    files: new Map(
      files.map((file) => [
        file,
        existsSync(path.join(dir, file)) ? readFileSync(path.join(dir, file), 'utf8') : undefined,
      ]),
    ),
  });
  if (!existsSync(dir)) return onDisk();

  let label = 'HEAD';
  let commit = 'HEAD';
  const target = env.GITHUB_BASE_REF || env.CI_MERGE_REQUEST_TARGET_BRANCH_NAME;
  if (target) {
    if ((await git(dir, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'])).status !== 0) return onDisk();
    let ref: string | undefined;
    for (const candidate of [`origin/${target}`, target]) {
      if ((await git(dir, ['rev-parse', '--verify', '--quiet', `${candidate}^{commit}`])).status === 0) {
        ref = candidate;
        break;
      }
    }
    if (!ref)
      throw new Error(
        `the target branch "${target}" (from ${env.GITHUB_BASE_REF ? 'GITHUB_BASE_REF' : 'CI_MERGE_REQUEST_TARGET_BRANCH_NAME'}) is not in this checkout; fetch it (git fetch origin ${target}) so changes are compared with it`,
      );
    const base = await git(dir, ['merge-base', 'HEAD', ref]);
    if (base.status !== 0)
      throw new Error(
        `no merge base of HEAD and ${ref}: fetch the full history (fetch-depth: 0) so changes are compared with it`,
      );
    label = `merge-base(HEAD, ${ref})`;
    commit = base.stdout.trim();
  }
  // "<commit>:./<path>" is relative to the directory git runs in, wherever that is in the repository.
  const contents = await catFiles(dir, [`${commit}^{commit}`, ...files.map((file) => `${commit}:./${file}`)]);
  // Not a checkout (git fails), or one without commits (no HEAD).
  if (contents === undefined || contents[0] === undefined) return onDisk();
  return { label, files: new Map(files.map((file, index) => [file, contents[index + 1]])) };
}

/**
 * The content of each object (a commit's is its text), undefined where there is no such object;
 * undefined altogether when git fails (not a checkout, no git).
 */
function catFiles(cwd: string, objects: readonly string[]): Promise<(string | undefined)[] | undefined> {
  return new Promise((resolve) => {
    const child = spawn('git', ['cat-file', '--batch'], { cwd, stdio: ['pipe', 'pipe', 'ignore'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stdin.on('error', () => undefined); // git gone before reading its input: reported by its exit
    child.on('error', () => resolve(undefined));
    child.on('close', (code) => {
      try {
        resolve(code === 0 ? parseBatch(Buffer.concat(chunks), objects.length) : undefined);
      } catch {
        resolve(undefined);
      }
    });
    // Names with a newline cannot be asked this way; generated/<env>.yaml never has one.
    child.stdin.end(objects.map((name) => `${name}\n`).join(''));
  });
}

/**
 * `git cat-file --batch` output: per object "<sha> <type> <size>\n<content>\n", or "<name> missing\n"
 * (also "ambiguous"). Sizes are in bytes, so the output is cut as bytes and only then decoded.
 */
function parseBatch(output: Buffer, count: number): (string | undefined)[] {
  const contents: (string | undefined)[] = [];
  let at = 0;
  for (let index = 0; index < count; index++) {
    const end = output.indexOf(0x0a, at);
    if (end < 0) throw new Error('git cat-file --batch: output ended early');
    const header = output.toString('utf8', at, end).split(' ');
    at = end + 1;
    // "<name> missing": nothing follows. Any object is followed by its bytes: a file's (blob), or the commit asked
    // first.
    if (header.length !== 3 || !/^\d+$/.test(header[2])) {
      contents.push(undefined);
      continue;
    }
    const size = Number(header[2]);
    contents.push(header[1] === 'blob' || header[1] === 'commit' ? output.toString('utf8', at, at + size) : undefined);
    at += size + 1;
  }
  return contents;
}
