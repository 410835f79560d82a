import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fg from 'fast-glob';
import { RUNBOOK_SECTIONS } from '../scripts/runbooks/sections.ts';
import { PROJECT_ROOT } from './support/cli.ts';

/**
 * Every "see …" in the project lands on a heading that exists: the relative links of README.md,
 * docs/*.md and the generated runbooks, the `docs/<file>.md#<heading>` pointers in code comments,
 * error messages, shipped scripts and everything the build renders, and any old `README, "…"`
 * pointer left behind. Anchors follow GitHub's rule for headings, so the links work where people
 * read them.
 */

/** GitHub's anchor for a heading: lowercase, punctuation dropped, each space a '-'. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\- _]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of a Markdown text's headings (outside code fences); a repeated one gets -1, -2, … as on GitHub. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  let fence = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fence = !fence;
    const heading = !fence && /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = slug(heading[1]);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count ? `${base}-${count}` : base);
  }
  return result;
}

/** A pointer found in a file: where it is and what it names. */
interface Pointer {
  readonly file: string;
  readonly line: number;
  readonly text: string;
  readonly problem?: string;
}

type Read = (file: string) => string | undefined;
const readProject: Read = (file) =>
  existsSync(path.join(PROJECT_ROOT, file)) ? readFileSync(path.join(PROJECT_ROOT, file), 'utf8') : undefined;

/** Whether `target` (a project-relative path, with an optional #anchor) names an existing file and heading. */
function resolve(target: string, read: Read): string | undefined {
  const [file, anchor] = target.split('#', 2);
  const text = read(path.normalize(file));
  if (text === undefined) return `no file ${file}`;
  if (anchor === undefined) return undefined;
  if (!file.endsWith('.md')) return `#${anchor} in a file that is not Markdown`;
  return anchors(text).has(anchor) ? undefined : `${file} has no heading #${anchor}`;
}

const lineOf = (text: string, index: number) => text.slice(0, index).split('\n').length;
// A project-relative pointer: docs/<file>.md or generated/runbooks/<env>.md, with an optional heading.
const POINTER = /(?<![\w/.\-\]])((?:docs|generated\/runbooks)\/[\w.-]+?\.md)(#[\w-]+)?/g;
// The form used before docs/ existed: README, "Heading" (or README "Heading"), resolved against README.md.
const OLD_POINTER = /README,?\s+"([^"]+)"/g;
const EXTERNAL = /^(?:[a-z][\w+.-]*:|\/\/)/i;

/** Every pointer in one file of the project, each with its problem if it does not resolve. */
export function pointersIn(file: string, text: string, read: Read = readProject): Pointer[] {
  const found: Pointer[] = [];
  const add = (index: number, target: string, problem: string | undefined) =>
    found.push({ file, line: lineOf(text, index), text: target, problem });
  for (const m of text.matchAll(POINTER)) add(m.index!, m[0], resolve(m[0], read));
  for (const m of text.matchAll(OLD_POINTER)) {
    add(
      m.index!,
      m[0],
      anchors(read('README.md') ?? '').has(slug(m[1]))
        ? undefined
        : `README.md has no heading "${m[1]}" (#${slug(m[1])})`,
    );
  }
  if (file.endsWith('.md')) {
    // Markdown links, outside code fences and code spans, relative to the file's own directory.
    let fence = false;
    const prose = text
      .split('\n')
      .map((line) => {
        if (/^\s*(```|~~~)/.test(line)) fence = !fence;
        return fence ? '' : line.replace(/`[^`]*`/g, (code) => ' '.repeat(code.length));
      })
      .join('\n');
    for (const m of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1];
      if (EXTERNAL.test(target)) continue;
      const full = target.startsWith('#') ? `${file}${target}` : path.join(path.dirname(file), target);
      add(m.index!, target, full.startsWith('..') ? `${target} leaves the project` : resolve(full, read));
    }
  }
  return found;
}

/** The files whose pointers must resolve: the sources, the manuals, and everything the build renders. */
function projectFiles(): string[] {
  return fg
    .sync(
      [
        'README.md',
        'docs/**/*.md',
        'scripts/**/*',
        'test/setup/**/*',
        '.ci/run',
        'generated/**/*',
        'overlays/**/*',
        'base/**/*',
        'components/**/*',
      ],
      { cwd: PROJECT_ROOT, dot: true, ignore: ['**/*.json', '**/node_modules/**'] },
    )
    .sort();
}

const format = (p: Pointer) => `${p.file}:${p.line}: ${p.text}: ${p.problem}`;

test('every link and pointer in the project resolves to an existing file and heading', () => {
  const all = projectFiles().flatMap((file) => pointersIn(file, readFileSync(path.join(PROJECT_ROOT, file), 'utf8')));
  assert.equal(all.filter((p) => p.problem).map(format), []);
  // Not vacuous: the pointers are there to check, in code, in the rendered output and in the manuals.
  const where = (prefix: string) => all.filter((p) => p.file.startsWith(prefix)).length;
  assert.ok(where('scripts/') >= 40, `${where('scripts/')} pointers in scripts/`);
  assert.ok(where('overlays/') + where('generated/') + where('components/') >= 20, 'pointers in the rendered output');
  assert.ok(where('README.md') >= 15 && where('docs/') >= 20, 'links in README.md and docs/');
});

test('a pointer to a heading that does not exist fails, in each form', () => {
  const problems = (file: string, text: string) => pointersIn(file, text).map((p) => p.problem);
  // "Switchover" is a runbook section, not a heading of README.md or of the Patroni manual.
  assert.match(
    String(problems('scripts/x.ts', '// see (README, "Switchover")')[0]),
    'README.md has no heading "Switchover"',
  );
  assert.match(
    String(problems('scripts/x.ts', '// docs/replication-and-failover.md#switchover')[0]),
    'docs/replication-and-failover.md has no heading #switchover',
  );
  assert.is(problems('scripts/x.ts', '// generated/runbooks/prod.md#switchover')[0], undefined);
  assert.match(String(problems('scripts/x.ts', "'docs/nowhere.md'")[0]), 'no file docs/nowhere.md');
  assert.match(
    String(problems('docs/x.md', 'See [it](credentials.md#rotation-by-magic).')[0]),
    'docs/credentials.md has no heading #rotation-by-magic',
  );
  assert.match(
    String(problems('docs/x.md', '[runbook](../generated/runbooks/prod.md#switchover-now)')[0]),
    'no heading #switchover-now',
  );
  assert.match(
    String(problems('README.md', '[same file](#nothing-here)')[0]),
    'README.md has no heading #nothing-here',
  );
  // Code is not a link; an external address is not checked.
  assert.equal(problems('docs/x.md', '`[a](b.md)` and [site](https://example.org/x.md)\n```\n[c](d.md)\n```'), []);
});

test('anchors follow GitHub\'s rule: lowercase, punctuation dropped, spaces to "-", repeats numbered', () => {
  assert.is(slug('The database it deploys: pgbench'), 'the-database-it-deploys-pgbench');
  assert.is(slug('Choices, and why'), 'choices-and-why');
  assert.is(slug('Restoring to a time, an LSN or the latest'), 'restoring-to-a-time-an-lsn-or-the-latest');
  assert.is(slug('Day-2 operations'), 'day-2-operations');
  assert.is(slug('`pg_hba.conf` and TLS'), 'pg_hbaconf-and-tls');
  assert.equal(
    [...anchors('# A\n## Usage\n```sh\n# not a heading\n```\n## Usage\n### Usage')],
    ['a', 'usage', 'usage-1', 'usage-2'],
  );
  // The runbook writer's anchors are written by hand beside their titles: each is the title's slug.
  for (const section of Object.values(RUNBOOK_SECTIONS)) assert.is(section.anchor, slug(section.title), section.title);
});

test.run();
