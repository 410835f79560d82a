import type { Environment } from '../config/environment.ts';
import { code, list, section, see, sh, steps } from './markdown.ts';
import { dataClaimName, databaseSelector, podName, slotName, type EnvironmentNames } from './names.ts';
import { PATRONI_SCOPE } from '../k8s/names.ts';
import { kubectl, rebuildAndSync, sqlOn, streamingCheck } from './shell.ts';

/** The slot name prefix every standby's slot shares ("postgresql_"). */
const slotPrefix = slotName(0).replace(/0$/, '');

/**
 * On the primary: drops the slots of standbys the environment no longer has (ordinal ≥ replicas),
 * only while nothing streams through them; prints each one it dropped.
 */
export function orphanedSlotsSql(replicas: number): string {
  return [
    `select slot_name, pg_drop_replication_slot(slot_name) from pg_replication_slots`,
    `where slot_type = 'physical' and not active`,
    // A CASE, not AND: SQL does not promise to test the name before casting its number.
    `  and case when slot_name ~ '^${slotPrefix}[0-9]+$' then substr(slot_name, ${slotPrefix.length + 1})::int >= ${replicas} else false end;`,
  ].join('\n');
}

/** An awk program keeping the `persistentvolumeclaim/<claim>` lines of ordinals ≥ replicas (`kubectl get pvc -o name`). */
export const orphanedClaimsFilter = (replicas: number) => `$NF ~ /^[0-9]+$/ && $NF + 0 >= ${replicas}`;

/** Lists the data claims of ordinals the environment no longer has. */
export const orphanedClaimsCommand = (n: EnvironmentNames) =>
  `${kubectl(n)} get pvc -l ${databaseSelector} -o name | awk -F- '${orphanedClaimsFilter(n.replicas)}'`;

/** The runbook section "Scale replicas". */
export function scaleReplicasSection(e: Environment, n: EnvironmentNames): string {
  const k = kubectl(n);
  const fromOne = n.replicas === 1
    ? `The database was initialised with one replica, so it has no \`${n.replicationRole}\` role yet: create it once, on ${code(podName(n.primary))}, right after the sync `
      + '(the password from the Secret, passed as a psql variable; its pods will not be able to clone until then):'
    : '';
  return section('scaleReplicas',
    `${e.name} has ${n.replicas} replica${n.replicas > 1 ? 's' : ''} (\`replicas\` in ${code(n.source)}), the primary ${code(podName(n.primary))}. `
    + 'The build checks what a new count needs (`max_wal_senders`, `max_replication_slots`; the primary must be one of the replicas) and says what to change.',
    '**Up**: set `replicas`, rebuild, commit, sync. Each new pod clones the primary through a slot of its own and streams from it.',
    sh(...rebuildAndSync(e, n)),
    ...(fromOne ? [fromOne, sh(
      `${k} exec -i ${podName(n.primary)} -c ${n.container} -- sh -c 'PGPASSWORD="$POSTGRES_PASSWORD" psql -X -U "$POSTGRES_USER" -d "$POSTGRES_DB" -v role="$REPLICATION_USER" -v password="$REPLICATION_PASSWORD"' <<'SQL'`,
      `create role :"role" with login replication password :'password';`, 'SQL',
    )] : []),
    `Verify: on the primary, every standby streams through its own slot (\`${slotName(1)}\`, ...):`,
    sh(...streamingCheck(n)),
    '**Down**: the StatefulSet stops the highest ordinals and keeps their volumes (`whenScaled: Retain`). Their replication slots stay on the primary and keep WAL '
    + `for standbys that will not come back, up to \`max_slot_wal_keep_size\` (${code(String(e.postgresql.max_slot_wal_keep_size ?? 'unset'))}), `
    + `and a volume kept past that is of no use to a new standby. So, after the scale-down:`,
    steps(
      [`The primary must stay: if it is one of the ordinals that go, switch over first (README, "Switchover"). Set \`replicas\`, rebuild, commit, sync`
        + (n.replicas > 1 ? '; to go down to one, move readers off `' + n.readService + '` first: it goes with the replication component.' : '.'),
        sh(...rebuildAndSync(e, n))],
      [`Drop the orphaned slots: those of ordinals this environment no longer has (rebuilt, this runbook names the new count; now ${n.replicas}), and only while nothing streams through them:`,
        sh(...sqlOn(n.primary, orphanedSlotsSql(n.replicas)))],
      ['Delete the orphaned volumes, once nothing in them is needed: list them, read the list, then delete.',
        sh(orphanedClaimsCommand(n), `for claim in $(${orphanedClaimsCommand(n)}); do ${k} delete "$claim"; done`)],
      ['Verify: only the remaining standbys have slots, all active; only their claims remain:',
        sh(...sqlOn(n.primary, 'select slot_name, active, wal_status from pg_replication_slots order by 1;'), `${k} get pvc -l ${databaseSelector}`)],
    ),
    `Tested on real servers by \`test/runbook-replicas.test.ts\` (the slot query and the claim filter, exactly as above). A standby that comes back on a kept volume after its slot was dropped may find its WAL gone: ${see('reseedStandby')}.`,
  );
}

/** The runbook section "Re-seed a standby". */
export function reseedStandbySection(e: Environment, n: EnvironmentNames): string {
  if (n.standbys.length === 0) {
    return section('reseedStandby',
      `${e.name} has one replica, the primary: there is no standby to re-seed. With \`replicas\` above 1 (${see('scaleReplicas')}), this section gives the steps.`);
  }
  const k = kubectl(n);
  return section('reseedStandby',
    'A standby that cannot rejoin: its log says `requested WAL segment ... has already been removed`, or `patronictl list` shows it stopped or lagging without end. '
    + 'Patroni re-seeds it: `patronictl reinit` deletes its data directory and clones the current primary again, through a new slot. '
    + 'Patroni refuses to reinit the primary.',
    steps(
      ['Find the members and their state (the standby to re-seed is a `Replica` that is not `streaming`):',
        sh(`${k} exec ${podName(0)} -c ${n.container} -- patronictl list`)],
      ['Re-seed it, by its member name:',
        sh(`standby=${podName(n.ordinals.at(-1)!)}`, `${k} exec ${podName(0)} -c ${n.container} -- patronictl reinit ${PATRONI_SCOPE} "$standby" --force --wait`)],
      ['Verify: it is `streaming` again:', sh(`${k} exec ${podName(0)} -c ${n.container} -- patronictl list`)],
    ),
    `The clone copies the whole database from the primary: it takes the time to read ${e.storage.size} at most, and the primary keeps serving meanwhile.`,
  );
}
