import type { Settings } from '../config/environment.ts';
import { metadataLabels } from '../vocabulary/labels.ts';
import { networkPolicy } from '../k8s/network-policy.ts';
import { podDisruptionBudget } from '../k8s/pod-disruption-budget.ts';
import { serviceAccount } from '../k8s/service-account.ts';
import { clientService, headlessService } from '../k8s/services.ts';
import { statefulSet } from '../k8s/statefulset.ts';
import { applicationRoleScript } from '../k8s/application-role.ts';
import { names } from '../vocabulary/names.ts';
import { bundleScript } from '../components/scripts.ts';
import type { FileTree } from '../output/tree.ts';
import { commentedYaml, objectsYaml } from '../output/yaml.ts';
import { postgresqlConf } from '../postgres/conf.ts';
import { pgHbaConf } from '../postgres/hba.ts';
import { configGenerator, connectionGenerator, connectionLiterals } from './generators.ts';
import { emptyKustomization, type Kustomization } from '../kustomize/kustomization.ts';
import { BASE_DIR } from '../vocabulary/layout.ts';

/** The typed objects of the bundle for some settings, by the base file that holds them. */
export function resourceFiles(s: Settings): Record<string, object[]> {
  const version = s.image.tag;
  return {
    'service-account.yaml': [serviceAccount(version)],
    'services.yaml': [headlessService(version), clientService(version)],
    'network-policy.yaml': [networkPolicy(version, s.allowedClients)],
    'statefulset.yaml': [statefulSet(s)],
    'pod-disruption-budget.yaml': [podDisruptionBudget(version)],
  };
}

/** base/: every object, rendered from the shared defaults. Overlays only patch it. */
export function baseFiles(s: Settings): FileTree {
  const version = s.image.tag;
  const resources = resourceFiles(s);
  const kustomization: Kustomization = {
    ...emptyKustomization(Object.keys(resources)),
    namespace: s.namespace,
    // The generated ConfigMaps get the same metadata labels as the other objects. No Secret here:
    // each overlay brings its own credentials source (assembly/credentials.ts).
    labels: [{ pairs: metadataLabels(version), includeSelectors: false }],
    configMapGenerator: [
      configGenerator(['postgresql.conf', 'pg_hba.conf']),
      connectionGenerator(connectionLiterals(s)),
      { name: names.applicationInitConfigMap, files: [applicationRoleScript.initScript] },
    ],
  };
  const files: FileTree = new Map();
  files.set(
    `${BASE_DIR}/kustomization.yaml`,
    commentedYaml(
      kustomization as unknown as Record<string, unknown>,
      [
        'Base of the PostgreSQL bundle: what every environment shares (scripts/config/defaults.ts).',
        'Rendered by `npm run build:overlays`: edit the TypeScript, not this file.',
      ],
      {
        configMapGenerator: [
          'postgresql.conf and pg_hba.conf, mounted at /etc/postgresql; the hash suffix rolls the pods on change.',
          'Connection details for applications (envFrom); a stable name, so no hash suffix.',
          'The init script that creates the application role (scripts/postgres/sh/application-role.sh).',
        ],
      },
    ),
  );
  for (const [file, objects] of Object.entries(resources)) {
    files.set(`${BASE_DIR}/${file}`, objectsYaml(objects));
  }
  files.set(`${BASE_DIR}/postgresql.conf`, postgresqlConf(s.postgresql));
  files.set(`${BASE_DIR}/pg_hba.conf`, pgHbaConf());
  files.set(`${BASE_DIR}/${applicationRoleScript.initScript}`, bundleScript(applicationRoleScript.source));
  return files;
}
