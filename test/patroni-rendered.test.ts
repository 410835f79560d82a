import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { PROJECT_ROOT } from './support/cli.ts';
import { renderedCredentials } from './support/credentials.ts';
import { restrictedViolations } from './support/pod-security.ts';
import { effectiveParameters } from './support/postgresql-conf.ts';
import { find, rendered, renderedEnvironments } from './support/rendered.ts';

/**
 * The Kubernetes side of Patroni, as each replicated environment renders it: what the API server
 * and the controllers would do with it cannot run here (no cluster), so it is checked on the
 * rendered objects. Patroni itself runs on real servers in test/patroni-*.test.ts.
 */
const TRACKING_LABEL = 'app.kubernetes.io/instance';
const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);
/** What PyYAML (Patroni's parser) reads: YAML 1.1, where a plain off is false. */
const patroniRead = (text: string) => parse(text, { version: '1.1' });

const replicated = renderedEnvironments().filter(
  (name) => find(rendered(name), 'StatefulSet', 'postgresql').spec.replicas > 1,
);

test('the project has replicated environments to check', () => {
  assert.ok(replicated.length > 0);
});

for (const name of replicated) {
  const objects = rendered(name);
  const sts = find(objects, 'StatefulSet', 'postgresql');
  const pod = sts.spec.template.spec;
  const postgres = pod.containers.find((c: any) => c.name === 'postgresql');
  const configMap = find(objects, 'ConfigMap', 'postgresql-patroni');
  const scripts = find(objects, 'ConfigMap', 'postgresql-patroni-scripts');
  const config = patroniRead(configMap.data['patroni.yml']);
  const replicas: number = sts.spec.replicas;
  /** Pods as they run: the template's labels, the controller's pod name, and the role Patroni gives each. */
  const pods = Array.from({ length: replicas }, (_, ordinal) => ({
    ordinal,
    labels: {
      ...sts.spec.template.metadata.labels,
      'statefulset.kubernetes.io/pod-name': `postgresql-${ordinal}`,
      role: ordinal === 1 ? 'primary' : 'replica',
    },
  }));

  test(`${name}: the database container runs Patroni on the mounted configuration, with its REST API declared and probed`, () => {
    const mount = postgres.volumeMounts.find((m: any) => m.mountPath === '/etc/patroni');
    const volume = pod.volumes.find((v: any) => v.name === mount.name);
    assert.equal(
      volume.projected.sources.map((s: any) => s.configMap.name),
      [configMap.metadata.name, scripts.metadata.name],
    );
    assert.equal(postgres.command, ['patroni', '/etc/patroni/patroni.yml']);
    assert.is(postgres.args, undefined, 'no "postgres" for the image\'s entrypoint');
    assert.ok(postgres.ports.some((p: any) => p.containerPort === 8008));
    assert.is(config.restapi.listen, '0.0.0.0:8008');
    assert.equal(postgres.livenessProbe.httpGet, { path: '/liveness', port: 8008, scheme: 'HTTP' });
    assert.equal(postgres.readinessProbe.httpGet, { path: '/readiness', port: 8008, scheme: 'HTTP' });
    assert.is(postgres.startupProbe, undefined, 'liveness answers while PostgreSQL recovers or clones, however long');
  });

  test(`${name}: each pod's name, namespace and addresses come from the downward API, the passwords from existing Secret keys`, () => {
    const env = Object.fromEntries(postgres.env.map((e: any) => [e.name, e]));
    assert.equal(env.PATRONI_NAME.valueFrom, { fieldRef: { fieldPath: 'metadata.name' } });
    assert.equal(env.PATRONI_KUBERNETES_NAMESPACE.valueFrom, { fieldRef: { fieldPath: 'metadata.namespace' } });
    assert.equal(env.PATRONI_KUBERNETES_POD_IP.valueFrom, { fieldRef: { fieldPath: 'status.podIP' } });
    const order = postgres.env.map((e: any) => e.name);
    for (const address of ['PATRONI_RESTAPI_CONNECT_ADDRESS', 'PATRONI_POSTGRESQL_CONNECT_ADDRESS']) {
      assert.match(env[address].value, /^\$\(PATRONI_KUBERNETES_POD_IP\):\d+$/);
      assert.ok(
        order.indexOf(address) > order.indexOf('PATRONI_KUBERNETES_POD_IP'),
        `${address} comes after the variable it expands`,
      );
    }
    // The pgBackRest repository's Secret is the pitr component's (test/pitr-rendered.test.ts).
    for (const entry of postgres.env.filter(
      (e: any) => e.valueFrom?.secretKeyRef && e.valueFrom.secretKeyRef.name !== 'postgresql-pgbackrest-repository',
    )) {
      const credentials = renderedCredentials(objects, entry.valueFrom.secretKeyRef.name.replace(/-[a-z0-9]{10}$/, ''));
      assert.is(entry.valueFrom.secretKeyRef.name, credentials.secretName);
      if (credentials.keys) assert.ok(credentials.keys.includes(entry.valueFrom.secretKeyRef.key), entry.name);
    }
    for (const name of ['PATRONI_SUPERUSER_PASSWORD', 'PATRONI_REPLICATION_PASSWORD']) {
      assert.match(
        env[name].valueFrom.secretKeyRef.name,
        /^postgresql-secret/,
        `${name} from the server's Secret, never the application's`,
      );
    }
    assert.not.ok(/password/i.test(JSON.stringify(config.postgresql.authentication)), 'no password in the ConfigMap');
  });

  test(`${name}: Kubernetes is the store, in ConfigMaps mode, and Patroni's labels never carry Argo CD's tracking label`, () => {
    assert.is(config.kubernetes.use_endpoints, false);
    assert.not.ok(
      TRACKING_LABEL in config.kubernetes.labels,
      'Patroni copies these onto its leader lock: a prune would delete it',
    );
    assert.is(
      config.kubernetes.bypass_api_service,
      undefined,
      "that would need a ClusterRole on the default namespace's Endpoints",
    );
    // Patroni lists its members with its labels plus the scope label: every pod of the StatefulSet, nothing else.
    const members = { ...config.kubernetes.labels, [config.kubernetes.scope_label]: config.scope };
    assert.is(pods.filter((p) => selects(members, p.labels)).length, replicas);
    for (const other of objects.filter((o) => o.spec?.jobTemplate || o.kind === 'Job')) {
      const labels = (other.spec.jobTemplate?.spec ?? other.spec).template.metadata?.labels ?? {};
      assert.not.ok(selects(members, labels), `${other.kind}/${other.metadata.name}'s pods are no members`);
    }
  });

  test(`${name}: nothing Patroni creates and owns is in git`, () => {
    for (const suffix of ['config', 'leader', 'sync', 'failover']) {
      assert.not.ok(
        objects.some((o) => o.metadata.name === `${config.scope}-${suffix}`),
        `${config.scope}-${suffix}`,
      );
    }
    assert.not.ok(objects.some((o) => o.kind === 'Endpoints' || o.kind === 'EndpointSlice'));
    assert.not.ok('role' in sts.spec.template.metadata.labels, "the role label is Patroni's to set on each pod");
    assert.not.ok('status' in (sts.spec.template.metadata.annotations ?? {}));
  });

  test(`${name}: the RBAC is namespaced, bound to the pods' ServiceAccount, with Patroni's verbs only`, () => {
    const role = find(objects, 'Role', 'postgresql-patroni');
    const rules = Object.fromEntries(
      role.rules.map((r: any) => [r.resources.join(','), { groups: r.apiGroups, verbs: [...r.verbs].sort() }]),
    );
    assert.equal(rules, {
      configmaps: { groups: [''], verbs: ['create', 'get', 'list', 'patch', 'update', 'watch'] },
      pods: { groups: [''], verbs: ['get', 'list', 'patch', 'update', 'watch'] },
    });
    assert.not.ok(objects.some((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding'));
    const binding = find(objects, 'RoleBinding', 'postgresql-patroni');
    assert.equal(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
    assert.equal(binding.subjects, [
      { kind: 'ServiceAccount', name: pod.serviceAccountName, namespace: sts.metadata.namespace },
    ]);
  });

  test(`${name}: the API token is mounted in Patroni's pods only, never by the ServiceAccount itself`, () => {
    assert.is(find(objects, 'ServiceAccount', pod.serviceAccountName).automountServiceAccountToken, false);
    assert.is(pod.automountServiceAccountToken, true);
    for (const other of objects.filter((o) => o.kind === 'CronJob')) {
      const spec = other.spec.jobTemplate.spec.template.spec;
      assert.ok(
        spec.automountServiceAccountToken === false || spec.serviceAccountName !== pod.serviceAccountName,
        `${other.metadata.name} mounts no token of the database's account`,
      );
    }
  });

  test(`${name}: the read-write Service selects the pod Patroni labels primary, postgresql-read the standbys, the headless one every pod`, () => {
    const chosen = (service: string) =>
      pods.filter((p) => selects(find(objects, 'Service', service).spec.selector, p.labels)).map((p) => p.ordinal);
    assert.equal(chosen('postgresql'), [1]);
    assert.equal(
      chosen('postgresql-read'),
      pods.map((p) => p.ordinal).filter((o) => o !== 1),
    );
    assert.is(chosen('postgresql-headless').length, replicas);
    assert.is(config.kubernetes.role_label, 'role');
    assert.is(config.kubernetes.leader_label_value, 'primary');
    assert.is(config.kubernetes.follower_label_value, 'replica');
  });

  test(`${name}: the REST API port is open between members only`, () => {
    const policy = find(objects, 'NetworkPolicy', 'postgresql');
    const rules = policy.spec.ingress.filter((rule: any) => rule.ports.some((p: any) => p.port === 8008));
    assert.is(rules.length, 1);
    assert.equal(rules[0].ports, [{ protocol: 'TCP', port: 8008 }]);
    assert.equal(rules[0].from, [{ podSelector: { matchLabels: policy.spec.podSelector.matchLabels } }]);
    assert.ok(selects(policy.spec.podSelector.matchLabels, pods[0].labels));
  });

  test(`${name}: members stream, clone and rewind over TLS, checking the server against the CA, where the environment serves TLS`, () => {
    const tls = 'tls.conf' in find(objects, 'ConfigMap', 'postgresql-config').data;
    const auth = config.postgresql.authentication;
    if (!tls) {
      assert.is(auth.replication.sslmode, undefined);
      return;
    }
    for (const who of ['replication', 'superuser']) {
      assert.is(auth[who].sslmode, 'verify-ca', who);
      const mount = postgres.volumeMounts.find((m: any) => auth[who].sslrootcert.startsWith(`${m.mountPath}/`));
      assert.ok(mount, `${who}: the CA is mounted`);
      assert.ok(pod.volumes.find((v: any) => v.name === mount.name).secret, 'from the TLS Secret');
    }
  });

  test(`${name}: a rolling update waits two Patroni loops after each pod is ready, so a new primary has named its synchronous standby before the next stop`, () => {
    assert.ok(
      sts.spec.minReadySeconds >= 2 * config.bootstrap.dcs.loop_wait,
      `minReadySeconds ${sts.spec.minReadySeconds}`,
    );
  });

  test(`${name}: failsafe, rewind and slots on; synchronous mode as the environment says; Patroni's timing rules hold`, () => {
    const dcs = config.bootstrap.dcs;
    assert.is(dcs.failsafe_mode, true);
    assert.is(dcs.postgresql.use_pg_rewind, true);
    assert.is(dcs.postgresql.use_slots, true);
    assert.is(typeof dcs.synchronous_mode, 'boolean');
    assert.is(dcs.synchronous_mode_strict, false);
    assert.ok(dcs.ttl >= 20 && dcs.loop_wait + 2 * dcs.retry_timeout <= dcs.ttl);
    assert.is(config.watchdog.mode, 'off', 'a string for PyYAML too, not false');
  });

  test(`${name}: the parameters Patroni keeps in its store are the ones the ConfigMap gives PostgreSQL`, () => {
    const parameters = effectiveParameters(find(objects, 'ConfigMap', 'postgresql-config').data);
    const dcs = config.bootstrap.dcs.postgresql.parameters;
    for (const key of [
      'max_connections',
      'max_wal_senders',
      'max_replication_slots',
      'wal_level',
      'wal_keep_size',
      'wal_log_hints',
    ]) {
      assert.is(String(dcs[key]), parameters[key], key);
    }
    assert.equal(
      patroniRead(configMap.data['dcs.yml']),
      config.bootstrap.dcs,
      'the config Job applies what bootstrap applied',
    );
    assert.is(config.postgresql.custom_conf, '/etc/postgresql/postgresql.conf');
    const configMount = postgres.volumeMounts.find((m: any) => m.mountPath === '/etc/postgresql');
    assert.is(
      pod.volumes.find((v: any) => v.name === configMount.name).configMap.name,
      find(objects, 'ConfigMap', 'postgresql-config').metadata.name,
    );
  });

  test(`${name}: the config Job runs after each sync with the database's image, account and configuration`, () => {
    const job = find(objects, 'Job', 'postgresql-patroni-config');
    assert.is(job.metadata.annotations['argocd.argoproj.io/hook'], 'PostSync');
    assert.is(job.metadata.annotations['argocd.argoproj.io/hook-delete-policy'], 'BeforeHookCreation');
    assert.is(job.metadata.annotations['kustomize.toolkit.fluxcd.io/force'], 'enabled');
    const spec = job.spec.template.spec;
    assert.is(spec.serviceAccountName, pod.serviceAccountName);
    assert.is(spec.containers[0].image, postgres.image);
    assert.equal(spec.containers[0].command, ['sh', '/etc/patroni/apply-dcs.sh']);
    assert.equal(
      spec.volumes.find((v: any) => v.projected).projected,
      pod.volumes.find((v: any) => v.projected).projected,
    );
    assert.equal(restrictedViolations(spec), []);
  });

  test(`${name}: the scripts in the ConfigMap are the files under version control`, () => {
    for (const script of ['post-bootstrap.sh', 'apply-dcs.sh']) {
      assert.is(scripts.data[script], readFileSync(path.join(PROJECT_ROOT, 'scripts/postgres/sh', script), 'utf8'));
    }
    assert.is(config.bootstrap.post_bootstrap, '/etc/patroni/post-bootstrap.sh');
    assert.is(pod.volumes.find((v: any) => v.projected).projected.defaultMode, 0o555);
  });
}

test.run();
