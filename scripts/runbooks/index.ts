import type { Environment } from '../config/environment.ts';
import type { FileTree } from '../output/tree.ts';
import { code, see, sh } from './markdown.ts';
import { environmentNames, podName, type EnvironmentNames } from './names.ts';
import { restartParameterSection } from './parameters.ts';
import { afterFailoverSection, moveToPatroniSection, switchoverSection } from './patroni.ts';
import { reseedStandbySection, scaleReplicasSection } from './replicas.ts';
import { restoreSection } from './restore.ts';
import { rotationSection } from './rotation.ts';
import { RUNBOOK_SECTIONS, runbookFile, type RunbookSection } from './sections.ts';
import { helpers } from './shell.ts';
import { growVolumeSection, recreateStatefulSetSection } from './storage.ts';
import { majorUpgradeSection, minorUpgradeSection } from './upgrades.ts';

/** Each section's writer, by the key the build's warnings link to. */
const writers: Record<RunbookSection, (e: Environment, n: EnvironmentNames) => string> = {
  rotatePasswords: rotationSection,
  growVolume: growVolumeSection,
  recreateStatefulSet: recreateStatefulSetSection,
  restartForParameters: restartParameterSection,
  minorUpgrade: minorUpgradeSection,
  majorUpgrade: majorUpgradeSection,
  scaleReplicas: scaleReplicasSection,
  restoreIntoNewEnvironment: restoreSection,
  reseedStandby: reseedStandbySection,
  switchover: switchoverSection,
  afterFailover: afterFailoverSection,
  moveToPatroni: moveToPatroniSection,
};

function preamble(e: Environment, n: EnvironmentNames): string {
  const shape = n.patroni
    ? `${n.replicas} replicas under Patroni, any of which may be the primary (the \`primary\` helper below says which)`
    : `one replica, ${code(podName(0))}, without Patroni`;
  return [
    `# Runbooks: ${e.name}`,
    `Day-2 operations for ${e.name}: namespace ${code(n.namespace)}, ${shape}. Written by \`npm run build:overlays\` from ${code(n.source)} ` +
      'with the names the bundle renders, so the commands cannot drift from it: edit the environment, not this file.',
    'Run the commands from the repository root, at the commit that is synced, after defining these helpers in your shell:',
    sh(...helpers(n)),
    (Object.keys(RUNBOOK_SECTIONS) as RunbookSection[]).map((key) => `- ${see(key)}`).join('\n'),
  ].join('\n\n');
}

/** One environment's runbook, as markdown. */
export function runbookMarkdown(e: Environment): string {
  const n = environmentNames(e);
  const sections = (Object.keys(RUNBOOK_SECTIONS) as RunbookSection[]).map((key) => writers[key](e, n));
  return `${[preamble(e, n), ...sections].join('\n\n')}\n`;
}

/** generated/runbooks/<env>.md of every environment. */
export function runbookFiles(environments: readonly Environment[]): FileTree {
  return new Map(environments.map((environment) => [runbookFile(environment.name), runbookMarkdown(environment)]));
}
