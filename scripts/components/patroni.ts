import type { StatefulSet } from 'kubernetes-types/apps/v1';
import type { NetworkPolicy, NetworkPolicyIngressRule } from 'kubernetes-types/networking/v1';
import type { Service } from 'kubernetes-types/core/v1';
import type { Environment, Settings } from '../config/environment.ts';
import { metadataLabels, PATRONI_SCOPE_LABEL, selectorLabels } from '../vocabulary/labels.ts';
import { names, PATRONI_PORT, PATRONI_SCOPE } from '../vocabulary/names.ts';
import {
  minReadySeconds,
  patroniConfigJob,
  patroniContainerFields,
  patroniEnv,
  patroniRole,
  patroniRoleBinding,
  patroniStatefulSet,
  patroniVolume,
} from '../k8s/patroni.ts';
import { primarySelector, readService } from '../k8s/services.ts';
import { statefulSet } from '../k8s/statefulset.ts';
import type { PatchTarget } from '../kustomize/kustomization.ts';
import { statefulSetTarget, pointerSegment } from '../kustomize/patches.ts';
import type { FileTree } from '../output/tree.ts';
import { objectsYaml, objectYaml } from '../output/yaml.ts';
import { dcsYaml, patroniYaml } from '../postgres/patroni.ts';
import type { Component, ComponentDeltas } from './component.ts';
import { componentKustomizationYaml } from './component-kustomization.ts';
import { bundleScript } from './scripts.ts';

const serviceTarget: PatchTarget = { version: 'v1', kind: 'Service', name: names.service };
const networkPolicyTarget: PatchTarget = {
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'NetworkPolicy',
  name: names.networkPolicy,
};

/** The scripts Patroni and the config Job run, in the component's ConfigMap; each overlay brings its patroni.yml and dcs.yml. */
const SCRIPTS = ['post-bootstrap.sh', 'apply-dcs.sh'] as const;

/** Members reach each other's REST API: failsafe_mode asks every member before the primary may keep going without the API server. */
const restApiRule: NetworkPolicyIngressRule = {
  from: [{ podSelector: { matchLabels: { ...selectorLabels } } }],
  ports: [{ protocol: 'TCP', port: PATRONI_PORT }],
};

function resources(s: Settings): Record<string, object[]> {
  return {
    'rbac.yaml': [patroniRole(s.image.tag), patroniRoleBinding(s.image.tag, s.namespace)],
    'read-service.yaml': [readService(s.image.tag)],
    'config-job.yaml': [patroniConfigJob(s)],
  };
}

/**
 * The base StatefulSet's database container becomes Patroni's: each change a JSON patch operation,
 * the "test" first so kustomize fails rather than patch another container if the base's order changes.
 * Lists grow at the front (index 0, 1, …), where patroniContainer() puts the additions.
 */
function statefulSetPatch(d: Settings): object[] {
  const pod = statefulSet(d).spec!.template.spec!;
  const index = pod.containers.findIndex((container) => container.name === names.container);
  const c = `/spec/template/spec/containers/${index}`;
  const atFront = (list: string, items: readonly object[]) =>
    items.map((value, i) => ({ op: 'add', path: `${list}/${i}`, value }));
  return [
    { op: 'test', path: `${c}/name`, value: names.container },
    { op: 'add', path: '/spec/minReadySeconds', value: minReadySeconds(d) },
    { op: 'add', path: `/spec/template/metadata/labels/${pointerSegment(PATRONI_SCOPE_LABEL)}`, value: PATRONI_SCOPE },
    { op: 'replace', path: '/spec/template/spec/automountServiceAccountToken', value: true },
    { op: 'add', path: `${c}/command`, value: [...patroniContainerFields.command] },
    { op: 'remove', path: `${c}/args` },
    { op: 'add', path: `${c}/ports/-`, value: patroniContainerFields.port },
    ...atFront(`${c}/env`, patroniEnv()),
    { op: 'remove', path: `${c}/startupProbe` },
    { op: 'replace', path: `${c}/livenessProbe`, value: patroniContainerFields.livenessProbe },
    { op: 'replace', path: `${c}/readinessProbe`, value: patroniContainerFields.readinessProbe },
    ...atFront(`${c}/volumeMounts`, [patroniContainerFields.volumeMount]),
    ...atFront('/spec/template/spec/volumes', [patroniVolume()]),
  ];
}

/** The read-write Service follows Patroni's primary label instead of a fixed pod. */
function servicePatch(): object[] {
  return [
    { op: 'remove', path: `/spec/selector/${pointerSegment('statefulset.kubernetes.io/pod-name')}` },
    ...Object.entries(primarySelector())
      .filter(([key]) => !(key in selectorLabels))
      .map(([key, value]) => ({ op: 'add', path: `/spec/selector/${pointerSegment(key)}`, value })),
  ];
}

function withPrimarySelector(service: Service): Service {
  return { ...service, spec: { ...service.spec!, selector: primarySelector() } };
}

function withRestApiRule(policy: NetworkPolicy): NetworkPolicy {
  return { ...policy, spec: { ...policy.spec!, ingress: [...policy.spec!.ingress!, restApiRule] } };
}

/**
 * Automatic failover with Patroni when replicas > 1: Patroni runs PostgreSQL in every pod, holds
 * the leader lock in a ConfigMap (Kubernetes is its store), promotes a standby when the primary
 * is gone and rewinds the former primary into a standby. The Services follow its role labels.
 */
export const patroniComponent: Component = {
  name: 'patroni',
  description:
    'Patroni: automatic failover, the primary and postgresql-read Services by role (replicas > 1; docs/replication-and-failover.md).',
  enabled: (s) => s.replicas > 1,

  files(d: Settings): FileTree {
    const objects = resources(d);
    const files: FileTree = new Map([
      [
        'kustomization.yaml',
        componentKustomizationYaml(
          {
            // Only for the objects added here; an overlay's own namespace still wins.
            namespace: d.namespace,
            resources: Object.keys(objects),
            configMapGenerator: [
              {
                name: names.patroniScriptsConfigMap,
                files: [...SCRIPTS],
                options: { labels: metadataLabels(d.image.tag) },
              },
            ],
            patches: [
              { path: 'statefulset.yaml', target: statefulSetTarget },
              { path: 'service.yaml', target: serviceTarget },
              { path: 'network-policy.yaml', target: networkPolicyTarget },
            ],
          },
          [
            'Patroni (scripts/components/patroni.ts), listed by every overlay with replicas > 1.',
            "Patroni creates and owns the ConfigMaps postgresql-ha-config, -leader, -sync and -failover, and the pods' role label: none is in git.",
          ],
          {
            resources: [
              'What Patroni may do with the Kubernetes API: ConfigMaps and its pods, in this namespace only.',
              "Read-only clients: the standbys, by Patroni's role label.",
              'Applies dcs.yml to the running cluster after each sync (Argo CD PostSync hook; Flux re-creates it on change).',
            ],
            configMapGenerator: [
              'The scripts from scripts/postgres/sh/; each overlay generates postgresql-patroni, its patroni.yml and dcs.yml.',
            ],
            patches: [
              'The database container runs Patroni: its command, REST API port, probes, environment and configuration.',
              'The read-write Service selects the pod Patroni labels primary.',
              "Members reach each other's REST API (port 8008).",
            ],
          },
        ),
      ],
      ['statefulset.yaml', objectYaml(statefulSetPatch(d))],
      ['service.yaml', objectYaml(servicePatch())],
      ['network-policy.yaml', objectYaml([{ op: 'add', path: '/spec/ingress/-', value: restApiRule }])],
    ]);
    for (const [file, list] of Object.entries(objects)) files.set(file, objectsYaml(list));
    for (const script of SCRIPTS) files.set(script, bundleScript(script));
    return files;
  },

  deltas(environment: Environment, d: Settings): ComponentDeltas {
    const ready = minReadySeconds(environment);
    return {
      patches:
        ready === minReadySeconds(d)
          ? []
          : [
              {
                file: 'patches/min-ready-seconds.yaml',
                comment:
                  "A rolling update waits two of Patroni's loops after each pod is ready (scripts/k8s/patroni.ts).",
                target: statefulSetTarget,
                body: [{ op: 'replace', path: '/spec/minReadySeconds', value: ready }],
              },
            ],
      configMapGenerator: [
        {
          name: names.patroniConfigMap,
          // Explicit: the base's namespace and labels do not reach objects generated in the overlay.
          namespace: environment.namespace,
          files: ['patroni.yml', 'dcs.yml'],
          options: { labels: metadataLabels(environment.image.tag) },
        },
      ],
      files: new Map([
        ['patroni.yml', patroniYaml(environment)],
        ['dcs.yml', dcsYaml(environment)],
      ]),
    };
  },

  applied(objects, s) {
    const changed = objects.map((object) => {
      const o = object as { kind?: string; metadata?: { name?: string } };
      if (o.kind === 'StatefulSet') return patroniStatefulSet(object as StatefulSet, s);
      if (o.kind === 'Service' && o.metadata?.name === names.service) return withPrimarySelector(object as Service);
      if (o.kind === 'NetworkPolicy' && o.metadata?.name === names.networkPolicy)
        return withRestApiRule(object as NetworkPolicy);
      return object;
    });
    return [...changed, ...Object.values(resources(s)).flat()];
  },
};
