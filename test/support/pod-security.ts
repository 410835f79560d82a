/**
 * Pod Security Standards "restricted" (kubernetes.io/docs/concepts/security/pod-security-standards),
 * checked on a rendered pod spec, plus this project's own bar: a read-only root filesystem and
 * resources on every container.
 */
const ALLOWED_VOLUME_TYPES = [
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
];

export function restrictedViolations(podSpec: Record<string, any>): string[] {
  const problems: string[] = [];
  const pod = podSpec.securityContext ?? {};
  for (const flag of ['hostNetwork', 'hostPID', 'hostIPC']) if (podSpec[flag]) problems.push(`pod: ${flag} is set`);
  for (const volume of podSpec.volumes ?? []) {
    const type = Object.keys(volume).find((key) => key !== 'name');
    if (!type || !ALLOWED_VOLUME_TYPES.includes(type))
      problems.push(`volume ${volume.name}: type ${type} is not allowed`);
  }
  const containers = [...(podSpec.initContainers ?? []), ...(podSpec.containers ?? [])];
  if (containers.length === 0) problems.push('pod: no containers');
  for (const container of containers) {
    const where = `container ${container.name}`;
    const sc = container.securityContext ?? {};
    if (sc.privileged) problems.push(`${where}: privileged`);
    if (sc.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation must be false`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) problems.push(`${where}: capabilities must drop ALL`);
    if ((sc.capabilities?.add ?? []).some((cap: string) => cap !== 'NET_BIND_SERVICE'))
      problems.push(`${where}: adds capabilities`);
    if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) problems.push(`${where}: runAsNonRoot must be true`);
    if ((sc.runAsUser ?? pod.runAsUser) === 0) problems.push(`${where}: runs as uid 0`);
    const seccomp = (sc.seccompProfile ?? pod.seccompProfile)?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost')
      problems.push(`${where}: seccompProfile must be RuntimeDefault or Localhost`);
    if (sc.readOnlyRootFilesystem !== true) problems.push(`${where}: readOnlyRootFilesystem must be true`);
    for (const kind of ['requests', 'limits']) {
      for (const resource of ['cpu', 'memory']) {
        if (!container.resources?.[kind]?.[resource]) problems.push(`${where}: no ${kind}.${resource}`);
      }
    }
  }
  return problems;
}
