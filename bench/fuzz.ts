/**
 * The differential fuzz harness (test/fuzz/harness.ts) from the command line, for runs longer
 * than `npm test` affords. Prints the report as JSON on stdout, the one-line figures on stderr.
 *
 *   npx tsx bench/fuzz.ts --seed 7 --count 20000 [--concurrency 48] [--keep 5 (failures kept per invariant)]
 *   npx tsx bench/fuzz.ts --seed 7 --only 21,24     (replay inputs of a report by index)
 */
import { parseArgs } from 'node:util';
import { runFuzz } from '../test/fuzz/harness.js';
import { summaryLine } from '../test/fuzz/report.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    count: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '48' },
    only: { type: 'string' },
    keep: { type: 'string', default: '5' },
  },
});

function integer(name: string, text: string | undefined): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`bench/fuzz: --${name} must be a whole number, not ${JSON.stringify(text)}\n`);
    process.exit(2);
  }
  return n;
}

let lastShown = 0;
const report = await runFuzz({
  seed: integer('seed', values.seed),
  count: integer('count', values.count),
  concurrency: integer('concurrency', values.concurrency),
  keepFailures: integer('keep', values.keep),
  ...(values.only === undefined ? {} : { only: values.only.split(',').map((s) => integer('only', s)) }),
  onProgress(done, total) {
    if (done - lastShown >= 1000 || done === total) {
      lastShown = done;
      process.stderr.write(`  ${done}/${total}\n`);
    }
  },
});
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
process.stderr.write(`${summaryLine(report)}\n`);
