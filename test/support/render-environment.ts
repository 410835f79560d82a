import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EnvironmentConfig } from '../../scripts/config/environment.ts';
import { resolveEnvironment } from '../../scripts/config/resolve.ts';
import { findKustomize } from '../../scripts/kustomize/binary.ts';
import { renderBundle } from '../../scripts/pipeline.ts';
import { generatedFile } from '../../scripts/vocabulary/layout.ts';

const kustomize = findKustomize();
const renders = new Map<string, Promise<string>>();

/**
 * An environment config rendered by the real pipeline (validation, overlay, `kustomize build`,
 * schemas) into a scratch directory: its generated/<env>.yaml. Renders of the same config are shared.
 */
export function renderEnvironment(config: EnvironmentConfig): Promise<string> {
  const key = JSON.stringify(config);
  if (!renders.has(key)) {
    renders.set(
      key,
      (async () => {
        const environment = resolveEnvironment(config, `scripts/environments/${config.name}.ts`);
        const staging = mkdtempSync(path.join(tmpdir(), 'render-'));
        try {
          return (await renderBundle([environment], kustomize, staging)).tree.get(generatedFile(environment.name))!;
        } finally {
          rmSync(staging, { recursive: true, force: true });
        }
      })(),
    );
  }
  return renders.get(key)!;
}
