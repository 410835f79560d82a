import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Where the "before" of a build's changes comes from, as the build reports it. */
export interface CommittedSource {
  /** "HEAD", "merge-base(HEAD, origin/main)", or "the files on disk" outside git. */
  readonly label: string;
  /**
   * Every file of `files` as committed there (undefined where it is not: a new environment), read
   * at once: one `git cat-file --batch` for all of them instead of a `git show` each (a process
   * start each: about 0.1 s of every build at three environments, seconds at a hundred).
   */
  readAll(files: readonly string[]): Promise<Map<string, string | undefined>>;
}

/** git, asynchronously: a build asks while kustomize renders, and its main thread keeps verifying. */
const git = (cwd: string, args: readonly string[]): Promise<{ status: number; stdout: string }> => new Promise((resolve) => {
  execFile('git', args, { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }, (error, stdout) => {
    resolve({ status: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout });
  });
});

/**
 * What a build's changes are compared with: the committed render, not the working tree (a
 * hand-edited generated/<env>.yaml must neither invent nor hide a refusal). In a pull or merge
 * request (GITHUB_BASE_REF, CI_MERGE_REQUEST_TARGET_BRANCH_NAME) that is where the branch left its
 * target; otherwise HEAD. Outside a git checkout, or in one without commits, the files on disk.
 */
export async function committedSource(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<CommittedSource> {
  const readFromDisk = (file: string) => (existsSync(path.join(dir, file)) ? readFileSync(path.join(dir, file), 'utf8') : undefined);
  const onDisk: CommittedSource = {
    label: 'the files on disk',
    readAll: async (files) => new Map(files.map((file) => [file, readFromDisk(file)])),
  };
  if (!existsSync(dir)) return onDisk;
  // One process for both questions: fails outside a checkout and in one without commits alike.
  const head = await git(dir, ['rev-parse', '--show-toplevel', 'HEAD^{commit}']);
  if (head.status !== 0) return onDisk;
  const [root, headCommit] = head.stdout.trim().split('\n');

  let label = 'HEAD';
  let commit = headCommit;
  const target = env.GITHUB_BASE_REF || env.CI_MERGE_REQUEST_TARGET_BRANCH_NAME;
  if (target) {
    let ref: string | undefined;
    for (const candidate of [`origin/${target}`, target]) {
      if ((await git(root, ['rev-parse', '--verify', '--quiet', `${candidate}^{commit}`])).status === 0) {
        ref = candidate;
        break;
      }
    }
    if (!ref) throw new Error(`the target branch "${target}" (from ${env.GITHUB_BASE_REF ? 'GITHUB_BASE_REF' : 'CI_MERGE_REQUEST_TARGET_BRANCH_NAME'}) is not in this checkout; fetch it (git fetch origin ${target}) so changes are compared with it`);
    const base = await git(root, ['merge-base', 'HEAD', ref]);
    if (base.status !== 0) throw new Error(`no merge base of HEAD and ${ref}: fetch the full history (fetch-depth: 0) so changes are compared with it`);
    label = `merge-base(HEAD, ${ref})`;
    commit = base.stdout.trim();
  }
  // Paths inside the commit are relative to the repository and always use "/".
  const prefix = path.relative(root, path.resolve(dir)).split(path.sep).join('/');
  const object = (file: string) => `${commit}:${prefix ? `${prefix}/` : ''}${file}`;
  return {
    label,
    readAll: (files) => catFiles(root, files.map(object)).then((contents) => new Map(files.map((file, index) => [file, contents[index]]))),
  };
}

/** The content of each `<commit>:<path>` object, undefined where the commit has no such file. */
function catFiles(root: string, objects: readonly string[]): Promise<(string | undefined)[]> {
  if (objects.length === 0) return Promise.resolve([]);
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['cat-file', '--batch'], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk; });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`git cat-file --batch in ${root} failed: ${stderr.trim() || `exit ${code}`}`));
      try {
        resolve(parseBatch(Buffer.concat(chunks), objects.length));
      } catch (error) {
        reject(error);
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
    // "<name> missing": nothing follows. Any object is followed by its bytes, a blob's being the file.
    if (header.length !== 3 || !/^\d+$/.test(header[2])) {
      contents.push(undefined);
      continue;
    }
    const size = Number(header[2]);
    contents.push(header[1] === 'blob' ? output.toString('utf8', at, at + size) : undefined);
    at += size + 1;
  }
  return contents;
}
