import type { Environment } from '../config/environment.ts';
import { code, section, see, sh, steps } from './markdown.ts';
import { dataClaimName, databaseSelector, podName, type EnvironmentNames } from './names.ts';
import { kubectl, syncCommands } from './shell.ts';

/** What Argo CD and Flux do with a sync that changes an immutable field of the StatefulSet. */
function whileImmutable(e: Environment, n: EnvironmentNames): string {
  return (
    `Meanwhile the sync fails on the StatefulSet (\`spec: Forbidden: updates to statefulset spec for fields other than ...\`): ` +
    `Argo CD marks ${code(n.delivery)} as failed to sync${e.delivery.automated ? ' and retries 5 times (30 s, doubling, up to 10 min), then waits for a new commit or a manual sync' : ''}; ` +
    (e.delivery.automated
      ? `Flux keeps the Kustomization ${code(n.delivery)} not ready and retries every ${e.delivery.flux.retryInterval}, applying nothing of that revision. `
      : `Flux, once resumed, keeps the Kustomization ${code(n.delivery)} not ready and applies nothing of that revision until suspended again. `) +
    'The running pods and their volumes are untouched either way. Keep other changes out of that commit.'
  );
}

/** The runbook section "Grow the data volume". */
export function growVolumeSection(e: Environment, n: EnvironmentNames): string {
  const k = kubectl(n);
  const claims = n.ordinals.map(dataClaimName);
  return section(
    'growVolume',
    `Each pod's data claim is ${code(e.storage.size)} of StorageClass ${code(e.storage.storageClassName)} (\`storage\` in ${code(n.source)}). ` +
      "A bound claim grows in place when its StorageClass allows it; the StatefulSet's `volumeClaimTemplates`, where the size is also written, cannot be changed at all: " +
      'so the claims are patched by hand, and the StatefulSet is re-created to match.',
    steps(
      [
        'The StorageClass must allow expansion (otherwise: a new environment with bigger volumes, filled as in the major upgrade):',
        sh(`kubectl get storageclass ${e.storage.storageClassName} -o jsonpath='{.allowVolumeExpansion}'    # true`),
      ],
      [
        'Grow every claim (sizes only grow; pick the new size once):',
        sh(
          `new_size=${e.storage.size.replace(/^\d+/, (size) => String(Number(size) * 2))}   # for example: the size you want, larger than ${e.storage.size}`,
          `for claim in ${claims.join(' ')}; do`,
          `  ${k} patch pvc "$claim" -p "{\\"spec\\":{\\"resources\\":{\\"requests\\":{\\"storage\\":\\"$new_size\\"}}}}"`,
          'done',
          `${k} get pvc -l ${databaseSelector} -o custom-columns=NAME:.metadata.name,CAPACITY:.status.capacity.storage,CONDITION:.status.conditions[*].type`,
        ),
        'When a claim shows `FileSystemResizePending`, its driver grows the filesystem only when a pod mounts it again: ' +
          (n.replicas > 1
            ? `restart the pods one at a time, each once the previous one is Ready, the standbys first and the primary (\`primary\` says which) last: Patroni hands over to a standby when the primary's pod stops (\`${k} delete pod ${podName(n.standbys[0])}\`, ...).`
            : `restart the pod (\`${k} delete pod ${podName(0)}\`), a short outage.`),
      ],
      [
        `Write the new size into git: \`storage: { size: '<new size>' }\` in ${code(n.source)}, rebuild, commit, merge. ` +
          `The sync then fails on the StatefulSet's immutable \`volumeClaimTemplates\`: follow ${see('recreateStatefulSet')}.`,
      ],
      [
        'Verify: the capacity above shows the new size and no condition, and every instance sees it:',
        sh(
          ...n.ordinals.map((ordinal) => `${k} exec ${podName(ordinal)} -c ${n.container} -- df -h ${n.dataMount}`),
          `${k} get statefulset ${n.statefulSet} -o jsonpath='{.spec.volumeClaimTemplates[0].spec.resources.requests.storage}'   # the new size`,
        ),
      ],
    ),
    whileImmutable(e, n),
    e.backup.enabled
      ? `The backup volume ${code(n.backupClaim)} is an object of the bundle, not of the StatefulSet: a larger \`backup.storage.size\` is applied by the sync itself, where its StorageClass allows expansion.`
      : '',
  );
}

/** The runbook section "Re-create the StatefulSet". */
export function recreateStatefulSetSection(e: Environment, n: EnvironmentNames): string {
  const k = kubectl(n);
  return section(
    'recreateStatefulSet',
    'A sync that changes a field Kubernetes will not change on an existing StatefulSet (`volumeClaimTemplates`, `selector`, `serviceName`, ' +
      '`podManagementPolicy`) fails until the StatefulSet object is deleted and created again. `--cascade=orphan` deletes the object only: ' +
      'the pods keep running and the volumes stay; the new StatefulSet adopts the pods by their labels and restarts none whose template it did not change.',
    steps(
      [
        'Check that the failing change is the one you mean:',
        sh(
          `argocd app diff ${n.delivery}                                     # Argo CD`,
          `flux diff kustomization ${n.delivery} --path ./overlays/${e.name}   # or Flux`,
        ),
      ],
      [
        'Delete the StatefulSet object, nothing else:',
        sh(
          `${k} delete statefulset ${n.statefulSet} --cascade=orphan`,
          `${k} get pods,pvc -l ${databaseSelector}    # all still there`,
        ),
      ],
      ['Sync at once: until then nothing re-creates a pod that stops.', sh(...syncCommands(e, n))],
      [
        'Verify: the StatefulSet is back and owns the same pods, not restarted (their start times are older than the sync):',
        sh(
          `${k} get statefulset ${n.statefulSet}    # READY ${n.replicas}/${n.replicas}`,
          `${k} get pods -l ${databaseSelector} -o custom-columns=NAME:.metadata.name,OWNER:.metadata.ownerReferences[0].name,STARTED:.status.startTime`,
        ),
      ],
    ),
    whileImmutable(e, n),
  );
}
