import type { Environment } from '../config/environment.ts';
import { PATRONI_SCOPE } from '../vocabulary/names.ts';
import { code, section, see, sh, steps } from './markdown.ts';
import { databaseSelector, podName, slotName, type EnvironmentNames } from './names.ts';
import { kubectl, patroni, patroniArgs, rebuildAndSync, sqlOn, streamingCheck } from './shell.ts';

/** An awk program keeping the `persistentvolumeclaim/<claim>` lines of ordinals ≥ replicas (`kubectl get pvc -o name`). */
export const orphanedClaimsFilter = (replicas: number) => `$NF ~ /^[0-9]+$/ && $NF + 0 >= ${replicas}`;

/** Lists the data claims of ordinals the environment no longer has. */
export const orphanedClaimsCommand = (n: Pick<EnvironmentNames, 'namespace' | 'replicas'>) =>
  `${kubectl(n as EnvironmentNames)} get pvc -l ${databaseSelector} -o name | awk -F- '${orphanedClaimsFilter(n.replicas)}'`;

/** The ConfigMaps Patroni creates and owns (never in git): its store in Kubernetes. */
export const patroniConfigMaps = ['config', 'leader', 'sync', 'failover'].map((suffix) => `${PATRONI_SCOPE}-${suffix}`);

/** The runbook section "Scale replicas". */
export function scaleReplicasSection(e: Environment, n: EnvironmentNames): string {
  const k = kubectl(n);
  if (!n.patroni) {
    return section(
      'scaleReplicas',
      `${e.name} has one replica (\`replicas\` in ${code(n.source)}) and runs without Patroni. With more, Patroni runs every pod and fails over by itself: ` +
        `the first such build is refused (\`patroni-adoption\`), and ${see('moveToPatroni')} gives the steps.`,
    );
  }
  return section(
    'scaleReplicas',
    `${e.name} has ${n.replicas} replicas (\`replicas\` in ${code(n.source)}); Patroni runs them, any of them may be the primary. ` +
      'The build checks what a new count needs (`max_wal_senders`, `max_replication_slots`) and says what to change.',
    `**Up**: set \`replicas\`, rebuild, commit, sync. Each new member clones the primary (Patroni's pg_basebackup), and Patroni creates its slot on the primary (\`${slotName(n.replicas)}\`, ...).`,
    sh(...rebuildAndSync(e, n), ...streamingCheck(n)),
    '**Down**: the StatefulSet stops the highest ordinals, whatever their role, and keeps their volumes (`whenScaled: Retain`). ' +
      'Patroni drops the slot of a member that has left by itself, after `member_slots_ttl` (30 minutes by default in Patroni 4); ' +
      `until then the primary keeps WAL for it, up to \`max_slot_wal_keep_size\` (${code(String(e.postgresql.max_slot_wal_keep_size ?? 'unset'))}). The claims are yours to delete.`,
    steps(
      [
        'If the primary is one of the ordinals that go, hand it to one that stays first (otherwise the scale-down is a failover):',
        sh(
          "primary    # the primary's ordinal now",
          `# if it is >= the new count: ${patroni(...patroniArgs.switchover(podName(0)))}`,
        ),
      ],
      [
        'Set `replicas`, rebuild (the build refuses it until `acknowledge` has `replicas-lowered`), commit, sync' +
          `; to go down to one, the environment leaves Patroni: ${code(podName(0))} must be the primary, ${code(n.readService)} goes, and Patroni's ConfigMaps are left to delete.`,
        sh(
          ...rebuildAndSync(e, n),
          `# down to one replica only: ${k} delete configmap ${patroniConfigMaps.join(' ')} --ignore-not-found`,
        ),
      ],
      [
        'Delete the orphaned volumes, once nothing in them is needed: list them, read the list, then delete.',
        sh(orphanedClaimsCommand(n), `for claim in $(${orphanedClaimsCommand(n)}); do ${k} delete "$claim"; done`),
      ],
      [
        'Verify: the members that stay stream; after `member_slots_ttl`, only their slots remain on the primary; only their claims remain:',
        sh(
          ...streamingCheck(n),
          ...sqlOn(n.primary, 'select slot_name, active, wal_status from pg_replication_slots order by 1;'),
          `${k} get pvc -l ${databaseSelector}`,
        ),
      ],
    ),
    `A member that comes back on a kept volume after its slot was dropped may find its WAL gone: ${see('reseedStandby')}.`,
  );
}

/** The runbook section "Re-seed a standby". */
export function reseedStandbySection(e: Environment, n: EnvironmentNames): string {
  if (!n.patroni) {
    return section(
      'reseedStandby',
      `${e.name} has one replica, the primary: there is no standby to re-seed. With \`replicas\` above 1 (${see('scaleReplicas')}), this section gives the steps.`,
    );
  }
  return section(
    'reseedStandby',
    'A standby that cannot rejoin: its log says `requested WAL segment ... has already been removed`, or `patronictl list` shows it `start failed`, `stopped`, or lagging without end. ' +
      'Patroni re-seeds it: `patronictl reinit` deletes its data directory and clones the current primary again. Patroni refuses to reinit the primary.',
    steps(
      [
        'Find the members and their state (the standby to re-seed is one that is not `streaming`):',
        sh(patroni(...patroniArgs.list())),
      ],
      [
        'Re-seed it, by its member name (its pod name); `--wait` follows the clone, but may return before it starts (it polls every 2 seconds): the next step is the check:',
        sh(
          `standby=${podName(n.ordinals.at(-1)!)}    # the member to re-seed`,
          patroni(...patroniArgs.reinit('"$standby"')),
        ),
      ],
      ['Verify: it streams again:', sh(...streamingCheck(n))],
    ),
    `The clone copies the whole database from the primary: it takes the time to read ${e.storage.size} at most, and the primary keeps serving meanwhile. ` +
      'Tested on real servers by `test/runbook-patroni.test.ts`.',
  );
}
