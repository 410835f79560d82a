import { isDeepStrictEqual } from 'node:util';
import type { Environment, Settings } from '../config/environment.ts';
import { names } from '../vocabulary/names.ts';
import { podAntiAffinity, statefulSet } from '../k8s/statefulset.ts';
import { zoneSpreadConstraints } from '../k8s/zone-spread.ts';
import type { PatchTarget } from './kustomization.ts';

/** One concern an overlay changes: a patch file, what it targets, and a line saying why it exists. */
export interface Patch {
  readonly file: string;
  readonly comment: string;
  readonly target: PatchTarget;
  /** A JSON 6902 patch: a list of operations. */
  readonly body: readonly object[];
}

/** The StatefulSet every component and overlay patches. */
export const statefulSetTarget: PatchTarget = {
  group: 'apps',
  version: 'v1',
  kind: 'StatefulSet',
  name: names.statefulSet,
};
const networkPolicyTarget: PatchTarget = {
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'NetworkPolicy',
  name: names.networkPolicy,
};

/**
 * JSON 6902 operations replacing `field` of the named container in `list` ("containers" or
 * "initContainers"), found at `index` in the rendered StatefulSet. The "test" makes kustomize fail
 * rather than patch another container if the order ever changes.
 *
 * Every patch of the bundle is a JSON patch, never a strategic merge: kustomize 4.5.4 parses its
 * whole OpenAPI schema (about 1.1 s) the first time a build meets a strategic merge, and JSON
 * patches also fix list order by RFC 6902 rather than by a kustomize version's merge habits.
 */
export function containerFieldPatch(
  list: 'containers' | 'initContainers',
  index: number,
  name: string,
  field: string,
  value: unknown,
): object[] {
  const path = `/spec/template/spec/${list}/${index}`;
  return [
    { op: 'test', path: `${path}/name`, value: name },
    { op: 'replace', path: `${path}/${field}`, value },
  ];
}

/** A JSON pointer segment: "/" and "~" escaped (RFC 6901), as annotation keys need. */
export const pointerSegment = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');

/**
 * The patches that turn the base (rendered from `base`) into `environment`, one per concern,
 * in a fixed order. A concern whose values equal the base's has no patch.
 */
export function overlayPatches(environment: Environment, base: Settings): Patch[] {
  const patches: (Patch | undefined)[] = [
    storagePatch(environment, base),
    resourcesPatch(environment, base),
    sharedMemoryPatch(environment, base),
    antiAffinityPatch(environment, base),
    zoneSpreadPatch(environment, base),
    allowedClientsPatch(environment, base),
  ];
  return patches.filter((patch): patch is Patch => patch !== undefined);
}

function storagePatch(e: Settings, base: Settings): Patch | undefined {
  // volumeClaimTemplates has no merge key, so a strategic merge would replace the whole claim.
  const operations = (['size', 'storageClassName'] as const)
    .filter((field) => e.storage[field] !== base.storage[field])
    .map((field) => ({
      op: 'replace',
      path:
        field === 'size'
          ? '/spec/volumeClaimTemplates/0/spec/resources/requests/storage'
          : '/spec/volumeClaimTemplates/0/spec/storageClassName',
      value: e.storage[field],
    }));
  if (operations.length === 0) return undefined;
  return {
    file: 'patches/storage.yaml',
    comment: "Size and StorageClass of each pod's data volume (new claims only: a bound PVC is not resized by this).",
    target: statefulSetTarget,
    body: operations,
  };
}

function resourcesPatch(e: Settings, base: Settings): Patch | undefined {
  if (isDeepStrictEqual(e.resources, base.resources)) return undefined;
  const resources = statefulSet(e).spec!.template.spec!.containers[0].resources;
  return {
    file: 'patches/resources.yaml',
    comment: 'CPU and memory of the database container.',
    target: statefulSetTarget,
    body: containerFieldPatch('containers', 0, names.container, 'resources', resources),
  };
}

function sharedMemoryPatch(e: Settings, base: Settings): Patch | undefined {
  if (e.sharedMemorySize === base.sharedMemorySize) return undefined;
  // A strategic merge would move the volume to the top of the list; a JSON patch keeps the order.
  const index = statefulSet(base).spec!.template.spec!.volumes!.findIndex((volume) => volume.name === 'dshm');
  return {
    file: 'patches/shared-memory.yaml',
    comment: 'Size limit of the memory-backed /dev/shm (counts toward the memory limit).',
    target: statefulSetTarget,
    body: [
      { op: 'replace', path: `/spec/template/spec/volumes/${index}/emptyDir/sizeLimit`, value: e.sharedMemorySize },
    ],
  };
}

function antiAffinityPatch(e: Settings, base: Settings): Patch | undefined {
  if (e.podAntiAffinity === base.podAntiAffinity) return undefined;
  const affinity = podAntiAffinity(e.podAntiAffinity);
  return {
    file: 'patches/anti-affinity.yaml',
    comment: `Pod anti-affinity across nodes: ${e.podAntiAffinity}.`,
    target: statefulSetTarget,
    // "add" replaces an existing affinity as a whole, where a strategic merge would mix both modes.
    body: affinity
      ? [{ op: 'add', path: '/spec/template/spec/affinity', value: affinity }]
      : [{ op: 'remove', path: '/spec/template/spec/affinity' }],
  };
}

function zoneSpreadPatch(e: Settings, base: Settings): Patch | undefined {
  if (e.zoneSpread === base.zoneSpread) return undefined;
  const constraints = zoneSpreadConstraints(e.zoneSpread);
  return {
    file: 'patches/zone-spread.yaml',
    comment: `Spread pods across zones: ${e.zoneSpread ? 'on' : 'off'}.`,
    target: statefulSetTarget,
    body: constraints
      ? [{ op: 'add', path: '/spec/template/spec/topologySpreadConstraints', value: constraints }]
      : [{ op: 'remove', path: '/spec/template/spec/topologySpreadConstraints' }],
  };
}

function allowedClientsPatch(e: Settings, base: Settings): Patch | undefined {
  if (isDeepStrictEqual(e.allowedClients, base.allowedClients)) return undefined;
  return {
    file: 'patches/allowed-clients.yaml',
    comment: 'Which clients the NetworkPolicy admits to port 5432.',
    target: networkPolicyTarget,
    body: [{ op: 'replace', path: '/spec/ingress/0/from', value: e.allowedClients }],
  };
}
