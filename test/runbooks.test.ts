import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadEnvironments } from '../scripts/config/load.ts';
import { runbookFiles, runbookMarkdown } from '../scripts/runbooks/index.ts';
import { dataClaimName, podName } from '../scripts/runbooks/names.ts';
import { replicasLine } from '../scripts/runbooks/patroni.ts';
import { primaryRotationArgs } from '../scripts/runbooks/rotation.ts';
import { patroniArgs } from '../scripts/runbooks/shell.ts';
import YAML from 'yaml';
import { readFileSync } from 'node:fs';
import staging from '../scripts/environments/staging.ts';
import dev from '../scripts/environments/dev.ts';
import { renderEnvironment } from './support/render-environment.ts';
import { RUNBOOK_SECTIONS, runbookFile } from '../scripts/runbooks/sections.ts';
import { SCRIPTS_DIR } from '../scripts/runbooks/shell.ts';
import { PROJECT_ROOT } from './support/cli.ts';
import { rendered } from './support/rendered.ts';

const environments = await loadEnvironments(path.join(PROJECT_ROOT, 'scripts/environments'), PROJECT_ROOT);
const named = (name: string) => environments.find((e) => e.name === name)!;

/** GitHub's heading anchor: lowercase, punctuation but "-" dropped, spaces made "-". */
const slug = (title: string) =>
  title
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\- ]/gu, '')
    .replace(/ /g, '-');

/** Every ```sh block of a runbook, without the indentation a list item gives it. */
function shellBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^( *)```sh\n([\s\S]*?)^\1```$/gm)].map(([, indent, body]) =>
    body
      .split('\n')
      .map((line) => line.slice(indent.length))
      .join('\n'),
  );
}

/** The shell a runbook (or a part of it) runs, as one text. */
const commandsOf = (markdown: string) => shellBlocks(markdown).join('\n');

/** Sections by title: the text from each `## ` heading to the next. */
function sections(markdown: string): Map<string, string> {
  return new Map(
    markdown
      .split(/^## /m)
      .slice(1)
      .map((part) => [part.slice(0, part.indexOf('\n')), part]),
  );
}

test("every environment has a runbook with one heading per section, in order, whose anchors are the ones the build's warnings link to", () => {
  const files = runbookFiles(environments);
  assert.equal(
    [...files.keys()],
    environments.map((e) => runbookFile(e.name)),
  );
  for (const [file, markdown] of files) {
    const headings = [...markdown.matchAll(/^## (.*)$/gm)].map((match) => match[1]);
    assert.equal(
      headings,
      Object.values(RUNBOOK_SECTIONS).map((s) => s.title),
      file,
    );
    for (const { title, anchor } of Object.values(RUNBOOK_SECTIONS)) {
      assert.is(slug(title), anchor, `${title}: GitHub's anchor`);
      assert.ok(markdown.includes(`](#${anchor})`), `${file} links to #${anchor} from its contents`);
    }
  }
});

test('the same environments give the same bytes', () => {
  assert.equal(runbookFiles(environments), runbookFiles(environments));
});

test('every shell block parses (sh -n), and every script it runs is in the repository', () => {
  for (const environment of environments) {
    const markdown = runbookMarkdown(environment);
    for (const block of shellBlocks(markdown)) {
      try {
        execFileSync('sh', ['-n'], { input: block, stdio: ['pipe', 'pipe', 'pipe'] });
      } catch (error) {
        assert.unreachable(`${environment.name}: does not parse:\n${block}\n${(error as { stderr: Buffer }).stderr}`);
      }
    }
    for (const [, script] of markdown.matchAll(
      /run_script \S+ (\S+\.sh)|cat (?:")?scripts\/postgres\/sh\/(\S+?\.sh)/g,
    )) {
      if (script) assert.ok(existsSync(path.join(PROJECT_ROOT, SCRIPTS_DIR, script)), script);
    }
  }
});

/**
 * The objects a runbook's kubectl commands name in the environment's own namespace, checked against
 * what generated/<env>.yaml renders: a renamed object fails here, not in a person's terminal.
 */
test('the commands name the objects each environment renders: namespace, StatefulSet, pods, claims, containers, Secret, CronJobs, labels', () => {
  for (const environment of environments) {
    const objects = rendered(environment.name);
    const sts = objects.find((o) => o.kind === 'StatefulSet')!;
    const pod = sts.spec.template.spec;
    const known = {
      statefulset: [sts.metadata.name],
      pod: Array.from({ length: sts.spec.replicas }, (_, ordinal) => `${sts.metadata.name}-${ordinal}`),
      pvc: [
        ...Array.from(
          { length: sts.spec.replicas },
          (_, ordinal) => `${sts.spec.volumeClaimTemplates[0].metadata.name}-${sts.metadata.name}-${ordinal}`,
        ),
        ...objects.filter((o) => o.kind === 'PersistentVolumeClaim').map((o) => o.metadata.name),
      ],
      container: [...pod.containers, ...(pod.initContainers ?? [])].map((c: { name: string }) => c.name),
      secret: ['POSTGRES_PASSWORD', 'APP_PASSWORD'].map(
        (name) =>
          sts.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === name).valueFrom.secretKeyRef
            .name,
      ),
      externalsecret: objects.filter((o) => o.kind === 'ExternalSecret').map((o) => o.metadata.name),
      cronjob: objects.filter((o) => o.kind === 'CronJob').map((o) => o.metadata.name),
    };
    const commands = shellBlocks(runbookMarkdown(environment))
      .join('\n')
      .split('\n')
      // Not the lines for the new environments some runbooks create, in namespaces of their own.
      .filter(
        (line) => ![...line.matchAll(/kubectl -n (\S+)/g)].some(([, namespace]) => namespace !== environment.namespace),
      );
    assert.ok(commands.length > 10, `${environment.name}: kubectl commands in its own namespace`);
    const references: [keyof typeof known, string][] = commands.flatMap((line) => [
      ...[...line.matchAll(/\b(statefulset|pod|pvc|secret|externalsecret)[ /]"?([a-z][-a-z0-9]*)(?=["\s]|$)/g)].map(
        ([, kind, name]) => [kind, name] as [keyof typeof known, string],
      ),
      ...[...line.matchAll(/for claim in ([-a-z0-9 ]+); do/g)].flatMap(([, claims]) =>
        claims.split(' ').map((name) => ['pvc', name] as [keyof typeof known, string]),
      ),
      ...[...line.matchAll(/cronjob\/([-a-z0-9]+)/g)].map(
        ([, name]) => ['cronjob', name] as [keyof typeof known, string],
      ),
      ...[...line.matchAll(/ -c ([-a-z0-9]+)/g)].map(([, name]) => ['container', name] as [keyof typeof known, string]),
      ...[
        ...line.matchAll(/(?:exec|logs|delete pod|wait --for=condition=Ready pod\/) (?:-i )?"?(postgresql-\d+)/g),
      ].map(([, name]) => ['pod', name] as [keyof typeof known, string]),
    ]);
    assert.ok(references.length > 10, `${environment.name}: references found`);
    for (const [kind, name] of references)
      assert.ok(
        known[kind].includes(name),
        `${environment.name}: ${kind} ${name} is not rendered (has: ${known[kind].join(', ')})`,
      );
    for (const [, selector] of commands.join('\n').matchAll(/-l (\S+)/g)) {
      for (const pair of selector.split(',')) {
        const [key, value] = pair.split('=');
        // A Job's pods, selected by the name of the Job the runbook creates from a rendered CronJob.
        if (key === 'job-name') {
          assert.ok(
            known.cronjob.some((cronJob) => value === `${cronJob}-now`),
            `${environment.name}: job ${value}`,
          );
          continue;
        }
        // Patroni's role label is set by Patroni on the pod it runs as primary: the rendered patroni.yml names it and
        // its value.
        // dev runs no Patroni, but its runbook defines the helpers for "Move to Patroni": prod's configuration says
        // the same.
        const patroni = [...objects, ...rendered('prod')].find(
          (o) => o.kind === 'ConfigMap' && /^postgresql-patroni-[a-z0-9]{10}$/.test(o.metadata.name),
        );
        const k8s = patroni && YAML.parse(patroni.data['patroni.yml'], { version: '1.1' }).kubernetes;
        if (k8s && key === k8s.role_label) {
          assert.is(value, k8s.leader_label_value, `${environment.name}: ${pair} is Patroni's leader label`);
          continue;
        }
        assert.is(
          pod.metadata?.labels?.[key] ?? sts.spec.template.metadata.labels[key],
          value,
          `${environment.name}: label ${pair} on the pods`,
        );
      }
    }
  }
});

test('the commands follow the environment: prod rotates four roles on whichever pod is primary, dev only explains', () => {
  const prod = commandsOf(runbookMarkdown(named('prod')));
  assert.ok(
    prod.includes(`run_script "$(primary)" rotate-password.sh ${primaryRotationArgs(named('prod')).join(' ')}\n`),
  );
  assert.equal(primaryRotationArgs(named('prod')), [
    'roles',
    'password',
    'app-password',
    'replication-password',
    'monitoring-password',
  ]);
  assert.not.match(prod, 'rotate-password.sh standby', "Patroni writes the standbys' password file itself");
  assert.ok(prod.includes(`for claim in ${[0, 1, 2].map(dataClaimName).join(' ')}; do`));
  const dev = sections(runbookMarkdown(named('dev')));
  assert.match(dev.get(RUNBOOK_SECTIONS.rotatePasswords.title)!, 'committed placeholder credentials');
  assert.match(dev.get(RUNBOOK_SECTIONS.restoreIntoNewEnvironment.title)!, 'Set `backup: { enabled: true }`');
  assert.match(dev.get(RUNBOOK_SECTIONS.reseedStandby.title)!, 'there is no standby to re-seed');
  assert.match(dev.get(RUNBOOK_SECTIONS.switchover.title)!, 'runs without Patroni');
  assert.match(dev.get(RUNBOOK_SECTIONS.scaleReplicas.title)!, '(#move-to-patroni)');
  assert.match(dev.get(RUNBOOK_SECTIONS.moveToPatroni.title)!, "create role %I with login replication', 'replicator'");
});

test('every patronictl command of the runbooks is one the real-server tests run (patroniArgs), against the scope Patroni renders', () => {
  const forms = [
    patroniArgs.list(),
    patroniArgs.switchover('"$candidate"'),
    patroniArgs.switchover(podName(0)),
    patroniArgs.reinit('"$standby"'),
    patroniArgs.restartPending('replica'),
    patroniArgs.restartPending('primary'),
  ].map((args) => `patroni ${args.join(' ')}`);
  for (const environment of environments) {
    const used = [
      ...commandsOf(runbookMarkdown(environment)).matchAll(
        /(?:^|# if it is >= the new count: )(patroni (?!\(\))[^#\n]*?)\s*(?:#.*)?$/gm,
      ),
    ].map((match) => match[1]);
    assert.ok(used.length >= (environment.replicas > 1 ? 5 : 1), `${environment.name}: patroni commands found`);
    for (const command of used) assert.ok(forms.includes(command), `${environment.name}: ${command}`);
  }
  for (const name of ['prod', 'staging']) {
    const scope = YAML.parse(
      rendered(name).find((o) => o.kind === 'ConfigMap' && /^postgresql-patroni-[a-z0-9]{10}$/.test(o.metadata.name))!
        .data['patroni.yml'],
      { version: '1.1' },
    ).scope;
    assert.is(patroniArgs.list()[1], scope, `${name}: the cluster name the commands give is the rendered scope`);
  }
});

/** The one-replica apply of "Move to Patroni" rewrites exactly one line: the StatefulSet's replicas. */
function onePodApplyCheck(name: string, yaml: string, replicas: number): void {
  const lines = yaml.split('\n').filter((line) => line === replicasLine(replicas));
  assert.is(lines.length, 1, `${name}: one line "${replicasLine(replicas)}" in generated/${name}.yaml`);
  const sed = /sed 's\/\^(.*?)\$\/(.*?)\/' (\S+) \| kubectl apply -f -/.exec(commandsOf(runbookMarkdown(named(name))))!;
  assert.ok(sed, `${name}: the one-replica apply`);
  assert.is(sed[1], replicasLine(replicas));
  const objects = YAML.parseAllDocuments(yaml.replace(sed[1], sed[2])).map((d) => d.toJS());
  const sts = objects.find((o) => o.kind === 'StatefulSet');
  assert.is(sts.spec.replicas, 1, `${name}: the StatefulSet is the object whose replicas the sed rewrites`);
  assert.is(sts.spec.template.spec.containers[0].command[0], 'patroni');
}

test('"Move to Patroni" applies the new render with the StatefulSet alone at one replica, and nothing else changed', async () => {
  for (const name of ['prod', 'staging'])
    onePodApplyCheck(
      name,
      readFileSync(path.join(PROJECT_ROOT, `generated/${name}.yaml`), 'utf8'),
      named(name).replicas,
    );
  // dev's move renders two replicas with the project's image: the render the runbook's sed would read.
  const scaled = await renderEnvironment({
    ...dev,
    replicas: 2,
    image: staging.image,
    postgresql: { ...dev.postgresql, max_wal_senders: 4, max_replication_slots: 4, max_slot_wal_keep_size: '1GB' },
  });
  onePodApplyCheck('dev', scaled, 2);
});

test('another credentials source, another namespace: the commands change with the settings', () => {
  const prod = named('prod');
  const sealed = runbookMarkdown({
    ...prod,
    credentials: { ...prod.credentials, source: 'sealed-secrets', sealedSecretFile: 'prod.sealed-secret.yaml' },
  });
  assert.match(sealed, 'kubectl apply -f scripts/environments/prod.sealed-secret.yaml');
  const existing = runbookMarkdown({ ...prod, credentials: { ...prod.credentials, source: 'existing' } });
  assert.match(
    existing,
    `kubectl -n ${prod.namespace} create secret generic postgresql-secret --dry-run=client -o yaml`,
  );
  const elsewhere = runbookMarkdown({ ...prod, namespace: 'databases' });
  assert.not.match(elsewhere, `-n ${prod.namespace} `);
});

test.run();
