import { RUNBOOKS_DIR } from '../vocabulary/layout.ts';

/**
 * The sections of an environment's generated runbook (`generated/runbooks/<env>.md`). The runbook
 * writer and the build's change warnings both use these, so a warning's link always lands on a heading.
 * Each anchor is GitHub's slug of its title.
 */
export const RUNBOOK_SECTIONS = {
  rotatePasswords: { anchor: 'rotate-passwords', title: 'Rotate passwords' },
  growVolume: { anchor: 'grow-the-data-volume', title: 'Grow the data volume' },
  recreateStatefulSet: { anchor: 're-create-the-statefulset', title: 'Re-create the StatefulSet' },
  restartForParameters: { anchor: 'apply-a-restart-only-parameter', title: 'Apply a restart-only parameter' },
  minorUpgrade: { anchor: 'minor-upgrade', title: 'Minor upgrade' },
  majorUpgrade: { anchor: 'major-upgrade', title: 'Major upgrade' },
  scaleReplicas: { anchor: 'scale-replicas', title: 'Scale replicas' },
  restoreIntoNewEnvironment: { anchor: 'restore-into-a-new-environment', title: 'Restore into a new environment' },
  reseedStandby: { anchor: 're-seed-a-standby', title: 'Re-seed a standby' },
  switchover: { anchor: 'switchover', title: 'Switchover' },
  afterFailover: { anchor: 'after-a-failover', title: 'After a failover' },
  moveToPatroni: { anchor: 'move-to-patroni', title: 'Move to Patroni' },
} as const;

export type RunbookSection = keyof typeof RUNBOOK_SECTIONS;

/** Where an environment's runbook is, relative to the project root. */
export const runbookFile = (environment: string) => `${RUNBOOKS_DIR}/${environment}.md`;

/** A link to one section of an environment's runbook, as printed in warnings and written in docs/. */
export const runbookLink = (environment: string, section: RunbookSection) =>
  `${runbookFile(environment)}#${RUNBOOK_SECTIONS[section].anchor}`;
