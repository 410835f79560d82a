import type { StatefulSet } from 'kubernetes-types/apps/v1';
import type { Container } from 'kubernetes-types/core/v1';
import type { Environment } from '../config/environment.ts';
import { names } from '../vocabulary/names.ts';
import { monitoringNames, tlsNames, pitrNames } from '../vocabulary/feature-names.ts';
import { statefulSetTarget } from '../kustomize/patches.ts';
import type { FileTree } from '../output/tree.ts';
import type { Component, ComponentDeltas } from './component.ts';
import { componentKustomizationYaml } from './component-kustomization.ts';

/**
 * The sidecars other components add, in the order they add them after the database container
 * (monitoring, pitr, then tls): their requests become their limits. The database container takes
 * its own from the settings (k8s/statefulset.ts).
 */
function sidecars(e: Environment): string[] {
  return [
    ...(e.monitoring.enabled ? [monitoringNames.container] : []),
    ...(e.pitr.enabled ? [pitrNames.container] : []),
    ...(e.tls.enabled ? [tlsNames.reloadContainer] : []),
  ];
}

const guaranteed = (c: Container): Container =>
  c.resources?.limits ? { ...c, resources: { ...c.resources, requests: { ...c.resources.limits } } } : c;

/**
 * Guaranteed QoS (`resources.guaranteed`): a pod is Guaranteed only when every container's requests
 * equal its limits. No files of its own: only the overlay's patch, which names each container it changes.
 */
export const guaranteedComponent: Component = {
  name: 'guaranteed',
  description: "Guaranteed QoS: every container's requests equal its limits (docs/tuning.md#resource-class).",
  enabled: (s) => s.resources.guaranteed === true,
  // Nothing shared: the containers to change differ by environment, so the overlay's patch does it all.
  files: (d): FileTree =>
    new Map([
      [
        'kustomization.yaml',
        componentKustomizationYaml({ namespace: d.namespace }, [
          "The guaranteed component: listed by overlays with resources.guaranteed; their own patch sets each sidecar's",
          "requests to its limits (the database container's come from the settings).",
        ]),
      ],
    ]),
  deltas(e: Environment): ComponentDeltas {
    if (!e.resources.guaranteed) return {};
    const body = sidecars(e).flatMap((name, i) => [
      { op: 'test', path: `/spec/template/spec/containers/${i + 1}/name`, value: name },
      {
        op: 'copy',
        from: `/spec/template/spec/containers/${i + 1}/resources/limits`,
        path: `/spec/template/spec/containers/${i + 1}/resources/requests`,
      },
    ]);
    return body.length
      ? {
          patches: [
            {
              file: 'patches/guaranteed.yaml',
              comment: "Guaranteed QoS: the sidecars' requests equal their limits too.",
              target: statefulSetTarget,
              body,
            },
          ],
        }
      : {};
  },
  applied(objects) {
    return objects.map((o) => {
      const sts = o as StatefulSet;
      if (sts.kind !== 'StatefulSet') return o;
      const pod = sts.spec!.template.spec!;
      return {
        ...sts,
        spec: {
          ...sts.spec!,
          template: {
            ...sts.spec!.template,
            spec: { ...pod, containers: pod.containers.map((c) => (c.name === names.container ? c : guaranteed(c))) },
          },
        },
      };
    });
  },
};
