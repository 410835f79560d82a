/**
 * Runs every test file with uvu, like `uvu test <pattern>`, and fails the run when a test did not
 * pass. uvu 0.5.6 counts a suite whose before/after hook throws as passing (its runner returns from
 * a `finally` block, dropping the error): only the totals it prints show that tests never ran.
 */
import { parse } from 'uvu/parse';
import { run } from 'uvu/run';
import { stripVTControlCharacters } from 'node:util';

const pattern = process.argv[2] ?? '\\.test\\.ts$';
let printed = '';
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
  printed += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
  return write(chunk, ...rest);
}) as typeof process.stdout.write;

const count = (label: string) =>
  Number(/\d+/.exec(stripVTControlCharacters(printed).split(`${label}:`).at(-1) ?? '')?.[0] ?? NaN);

const { suites } = await parse('test', pattern, {});
await run(suites, { bail: false });
const [total, passed, skipped] = ['Total', 'Passed', 'Skipped'].map(count);
// uvu's Total counts the tests it ran; test.skip ones are only in Skipped.
if (!(passed === total)) {
  console.error(
    `\n  ${total - passed} of ${total} tests did not pass (above: the failures, and suites cut short by a failing hook)`,
  );
  process.exitCode = 1;
}
if (skipped > 0) console.error(`\n  ${skipped} skipped: each test.skip is a known gap with its reason beside it`);
