import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { KustomizeBinary } from './binary.ts';

const run = promisify(execFile);

/** `kustomize build <dir>`'s stdout, byte for byte: the rendered file is never re-serialized. */
export async function kustomizeBuild(kustomize: KustomizeBinary, dir: string): Promise<string> {
  try {
    const { stdout } = await run(kustomize.command, [...kustomize.args, dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`kustomize ${kustomize.version} (${kustomize.origin}) failed to build ${dir}: ${stderr || (error as Error).message}`);
  }
}

/** Number of YAML documents (objects) in a rendered stream. */
export function objectCount(rendered: string): number {
  return rendered.split(/^---$/m).filter((document) => document.trim()).length;
}
