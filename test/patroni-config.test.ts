import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import YAML from 'yaml';
import { makeServerDirectory, removeServerDirectory } from '../tools/postgres/server.ts';
import { memberConfig, readPatroniRender } from './support/patroni-config.ts';
import { rendered } from './support/rendered.ts';
import { withCredentials } from './support/pod-env.ts';

/**
 * The Patroni server tests are worth what the harness keeps of the render: it may change the store,
 * the addresses, the paths and bin_dir, nothing else. This compares, leaf by leaf, the rendered
 * patroni.yml with the one a member runs. No server is started.
 */
const test = suite('Patroni test harness: what it changes in the rendered configuration');

const ALLOWED = new Set([
  'restapi.listen',
  'restapi.connect_address',
  'postgresql.listen',
  'postgresql.connect_address',
  'postgresql.bin_dir',
]);

function leaves(value: unknown, prefix = ''): Map<string, unknown> {
  const found = new Map<string, unknown>();
  if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value))
      for (const [path, leaf] of leaves(child, prefix ? `${prefix}.${key}` : key)) found.set(path, leaf);
  } else {
    found.set(prefix, value);
  }
  return found;
}

for (const environment of ['prod', 'staging']) {
  test(`${environment}: only the store, addresses, paths on the pod's mounts and bin_dir differ`, () => {
    const render = readPatroniRender(withCredentials(rendered(environment)));
    const root = makeServerDirectory('patroni-config-');
    try {
      const tls = () =>
        new Map(['tls.crt', 'tls.key', 'ca.crt'].map((key) => [key, { content: `test ${key}`, mode: 0o600 }]));
      const member = memberConfig(
        render,
        1,
        root,
        { postgresql: 5433, restapi: 8009 },
        '127.0.0.1:2379',
        '/usr/lib/postgresql/15/bin',
        tls,
      );
      const inGit = leaves(YAML.parse(render.patroniYml, { version: '1.1' }));
      const running = leaves(member.config);
      assert.ok(
        [...inGit.keys()].some((key) => key.startsWith('kubernetes.')),
        'the render uses the Kubernetes store',
      );
      assert.equal(
        [...running.keys()].filter((key) => key.startsWith('etcd3.')),
        ['etcd3.hosts.0'],
      );
      for (const [key, value] of inGit) {
        if (key.startsWith('kubernetes.')) {
          assert.not.ok(running.has(key), `${key} is gone`);
        } else if (ALLOWED.has(key)) {
          assert.ok(running.has(key), key);
        } else if (typeof value === 'string' && value.startsWith('/') && running.get(key) !== value) {
          // A path on one of the container's mounts: the same path in the member's mirror of the pod's files.
          assert.is(running.get(key), `${root}/fs${value}`, key);
        } else {
          assert.equal(running.get(key), value, `${key} is as rendered`);
        }
      }
      const added = [...running.keys()].filter((key) => !inGit.has(key) && !key.startsWith('etcd3.'));
      assert.ok(
        added.every((key) => ALLOWED.has(key)),
        `only addresses added: ${added.join(', ')}`,
      );
      assert.equal(
        Object.keys(member.env).filter((name) => name.startsWith('PATRONI_KUBERNETES_')),
        [],
        'no Kubernetes store settings in the environment',
      );
      assert.is(member.env.PATRONI_NAME ?? member.config.name, 'postgresql-1', 'the member is named after its pod');
    } finally {
      removeServerDirectory(root);
    }
  });
}

test.run();
