import type { Environment, Settings } from '../config/environment.ts';
import { metadataLabels } from '../k8s/labels.ts';
import { names } from '../k8s/names.ts';
import { PREPARE_DATA_CONTAINER, REPLICATION_SCRIPTS, replicatedStatefulSet, replicationPatch } from '../k8s/replication.ts';
import { podNameSelector, readService } from '../k8s/services.ts';
import { statefulSet } from '../k8s/statefulset.ts';
import type { PatchTarget } from '../kustomize/kustomization.ts';
import { containerFieldPatch, pointerSegment, type Patch } from '../kustomize/patches.ts';
import type { FileTree } from '../output/tree.ts';
import { objectsYaml } from '../output/yaml.ts';
import type { Component, ComponentDeltas } from './component.ts';
import { componentKustomizationYaml } from './component-kustomization.ts';
import { bundleScript } from './scripts.ts';

const statefulSetTarget: PatchTarget = { group: 'apps', version: 'v1', kind: 'StatefulSet', name: names.statefulSet };
const serviceTarget: PatchTarget = { version: 'v1', kind: 'Service', name: names.service };

/**
 * PRIMARY_ORDINAL replaced in place (a strategic merge would move the variable to the top of the
 * list); the "test" operations make kustomize fail rather than patch another container or variable.
 */
function primaryOrdinalPatch(defaults: Settings, ordinal: number): object[] {
  const sts = replicatedStatefulSet(statefulSet(defaults), defaults);
  const containers = sts.spec!.template.spec!.initContainers!;
  const index = containers.findIndex((container) => container.name === PREPARE_DATA_CONTAINER);
  const variable = containers[index].env!.findIndex((entry) => entry.name === 'PRIMARY_ORDINAL');
  const path = `/spec/template/spec/initContainers/${index}`;
  return [
    { op: 'test', path: `${path}/name`, value: PREPARE_DATA_CONTAINER },
    { op: 'test', path: `${path}/env/${variable}/name`, value: 'PRIMARY_ORDINAL' },
    { op: 'replace', path: `${path}/env/${variable}/value`, value: String(ordinal) },
  ];
}

/**
 * Streaming replication when replicas > 1: one primary (the ordinal declared in git), hot standbys
 * cloned from it, the read Service, and the scripts that make each pod converge at its start.
 */
export const replication: Component = {
  name: 'replication',
  description: 'Streaming replication: one primary, hot standbys, the postgresql-read Service (replicas > 1).',
  enabled: (s) => s.replicas > 1,

  files(defaults: Settings): FileTree {
    const version = defaults.image.tag;
    const files: FileTree = new Map([
      ['kustomization.yaml', componentKustomizationYaml({
        // Only for the objects added here; an overlay's own namespace still wins.
        namespace: defaults.namespace,
        resources: ['read-service.yaml'],
        configMapGenerator: [{ name: names.replicationScripts, files: [...REPLICATION_SCRIPTS], options: { labels: metadataLabels(version) } }],
        patches: [{ path: 'statefulset.yaml', target: statefulSetTarget }],
      }, [
        'Streaming replication (scripts/components/replication.ts), listed by every overlay with replicas > 1.',
        'The scripts come from scripts/postgres/sh/.',
      ], {
        configMapGenerator: ['The scripts under version control in scripts/postgres/sh/, copied here by the build.'],
        patches: ['The prepare-data init container, and the replication role\'s init script for the entrypoint.'],
      })],
      ['read-service.yaml', objectsYaml([readService(version)])],
      ['statefulset.yaml', objectsYaml([replicationPatch(statefulSet(defaults), defaults)])],
    ]);
    for (const script of REPLICATION_SCRIPTS) files.set(script, bundleScript(script));
    return files;
  },

  deltas(environment: Environment, defaults: Settings): ComponentDeltas {
    const patches: Patch[] = [];
    const ordinal = environment.replication.primaryOrdinal;
    if (ordinal !== defaults.replication.primaryOrdinal) {
      patches.push({
        file: 'patches/primary-ordinal.yaml',
        comment: `The declared primary is ${names.statefulSet}-${ordinal}: every pod converges to it at its next start (README, "Replication and failover").`,
        target: statefulSetTarget,
        body: primaryOrdinalPatch(defaults, ordinal),
      });
      patches.push({
        file: 'patches/primary-service.yaml',
        comment: `The read-write Service follows the declared primary, ${names.statefulSet}-${ordinal}.`,
        target: serviceTarget,
        body: Object.entries(podNameSelector(ordinal)).map(([key, value]) => ({ op: 'replace', path: `/spec/selector/${pointerSegment(key)}`, value })),
      });
    }
    if (JSON.stringify(environment.resources) !== JSON.stringify(defaults.resources)) {
      patches.push({
        file: 'patches/prepare-data-resources.yaml',
        comment: 'CPU and memory of the prepare-data init container: the database container\'s, since a promotion starts PostgreSQL in it.',
        target: statefulSetTarget,
        // The component inserts prepare-data as the first init container.
        body: containerFieldPatch('initContainers', 0, PREPARE_DATA_CONTAINER, 'resources', statefulSet(environment).spec!.template.spec!.containers[0].resources),
      });
    }
    return { patches };
  },

  applied(objects, s) {
    const replicated = objects.map((object) => ((object as { kind?: string }).kind === 'StatefulSet' ? replicatedStatefulSet(object as ReturnType<typeof statefulSet>, s) : object));
    return [...replicated, readService(s.image.tag)];
  },
};
