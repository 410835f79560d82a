import type { Environment } from '../config/environment.ts';
import { code, derivedEnvironmentFile, section, sh, steps } from './markdown.ts';
import { podName, type EnvironmentNames } from './names.ts';
import { kubectl } from './shell.ts';
import { firstSync } from './upgrades.ts';
import { backupPaths } from '../vocabulary/paths.ts';

/** Where the target's restore pod holds the copied backup: its scratch emptyDir, since its backup volume is mounted read-only. */
export const RESTORE_SCRATCH = '/tmp';

/** The environment a backup is restored into: this one's settings, a namespace of its own. */
export const restoreTarget = (e: Environment) => ({ name: `${e.name}-restore`, namespace: `${e.namespace}-restore` });

/** Streams one backup directory ($backup) from the source's restore pod into the target's scratch directory. */
export const copyBackupCommand = (sourceNamespace: string, targetNamespace: string, job: string) =>
  `kubectl -n ${sourceNamespace} exec ${job} -- tar -C ${backupPaths.backups} -cf - "$backup" | kubectl -n ${targetNamespace} exec -i ${job} -- tar -C ${RESTORE_SCRATCH} -xf -`;

/** The runbook section "Restore into a new environment". */
export function restoreSection(e: Environment, n: EnvironmentNames): string {
  if (!e.backup.enabled) {
    return section(
      'restoreIntoNewEnvironment',
      `${e.name} takes no backups (\`backup.enabled\` is off in ${code(n.source)}), so there is nothing to restore from. ` +
        'Set `backup: { enabled: true }` ([Backups and restore](../../docs/backups-and-restore.md)); rebuilt, this section then gives the steps.',
    );
  }
  const k = kubectl(n);
  const target = restoreTarget(e);
  const kt = `kubectl -n ${target.namespace}`;
  const job = `job/${n.restoreCronJob}-now`;
  const onBothSides = (command: (kube: string) => string) => [command(k), command(kt)];
  return section(
    'restoreIntoNewEnvironment',
    `${e.name}'s backups (the ${code(n.backupCronJob)} CronJob, on the volume ${code(n.backupClaim)}) restored into a new environment, ${code(target.name)}, ` +
      `for a copy to inspect or to replace ${e.name} after a disaster. The same steps serve any environment whose database is empty: use its namespace for the target's. ` +
      "The backup travels between the two restore pods through kubectl (add `--context` on each side for another cluster), into the target pod's scratch directory; " +
      '`restore.sh` checks it against its checksums before restoring anything.',
    steps(
      [
        `The target environment, one replica and backups on (its restore pod is needed): a file of its own, rebuilt, committed, applied once.`,
        derivedEnvironmentFile(e.name, { name: target.name, namespace: target.namespace, replicas: 1 }),
        sh(...firstSync(e, target)),
      ],
      [
        'A restore pod on each side, and the list of backups:',
        sh(
          ...onBothSides((kube) => `${kube} create job ${n.restoreCronJob}-now --from=cronjob/${n.restoreCronJob}`),
          ...onBothSides(
            (kube) => `${kube} wait --for=condition=Ready pod -l job-name=${n.restoreCronJob}-now --timeout=5m`,
          ),
          `${k} exec ${job} -- sh ${backupPaths.scripts}/restore.sh    # name, size, databases`,
        ),
      ],
      [
        "Copy one backup across (its size, listed above, must fit the target node's ephemeral storage):",
        sh('backup=20240601T020000Z    # one of the list', copyBackupCommand(n.namespace, target.namespace, job)),
      ],
      [
        'Restore all of it, roles included:',
        sh(`${kt} exec ${job} -- env BACKUP_DIR=${RESTORE_SCRATCH} sh ${backupPaths.scripts}/restore.sh "$backup"`),
        "Restored roles have no password (backups hold none): set each with `ALTER ROLE name PASSWORD ...`. The target's own Secret keeps working for its superuser.",
      ],
      [
        'Verify, then clean up: `restore.sh` ended with `complete`; the databases are there; the restore pods go.',
        sh(
          `${kt} exec ${podName(0)} -c ${n.container} -- sh -c 'PGPASSWORD="$POSTGRES_PASSWORD" psql -X -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "\\l+"'`,
          ...onBothSides((kube) => `${kube} delete job ${n.restoreCronJob}-now`),
        ),
        n.patroni
          ? `Then give ${code(target.name)} ${e.name}'s ${n.replicas} replicas: that is a move to Patroni (its runbook's "Move to Patroni"), and the standbys clone the restored primary.`
          : '',
      ],
    ),
    'Tested on real servers by `test/runbook-restore.test.ts`: a backup streamed through `tar` as above, checked and restored onto a fresh server, contents equal.',
  );
}
