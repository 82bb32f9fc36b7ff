/**
 * The differential fuzz suite (issue 9 section 6): a fixed seed in `npm test`, any other with
 * `WORMWATCH_FUZZ_SEED=7 WORMWATCH_FUZZ_COUNT=5000 npx mocha test/fuzz/fuzz.test.ts`, longer
 * runs with `npx tsx bench/fuzz.ts`. One run, then one assertion per invariant, each failing with
 * the first few offending inputs (category, seed, index, escaped bytes).
 */
import assert from 'node:assert/strict';
import { CATEGORY_NAMES } from './generator.js';
import { runFuzz } from './harness.js';
import { describeFailures, summaryLine, type FuzzReport, type Invariant } from './report.js';

const SEED = 9;
const COUNT = 2000;

function fromEnv(name: string, fallback: number, max: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new Error(`${name} must be a whole number up to ${max}, not ${JSON.stringify(text)}`);
  return n;
}

describe('differential fuzz of the request path (wormwatch serve --mode block, strict raw origin)', function () {
  // A bound for a slow machine, not a speed assertion: 2,000 inputs take about 15 s here.
  this.timeout(120_000);
  const seed = fromEnv('WORMWATCH_FUZZ_SEED', SEED, 0xffffffff);
  const count = fromEnv('WORMWATCH_FUZZ_COUNT', COUNT, 200_000);
  let report: FuzzReport;

  before(async function () {
    this.timeout(120_000);
    report = await runFuzz({ seed, count });
    console.log(`      ${summaryLine(report)}`);
  });

  const holds = (kind: Invariant): void => assert.equal(report.counts[kind], 0, describeFailures(report, kind));

  it(`sends all ${count} inputs (seed ${seed}), every category among them`, () => {
    assert.equal(report.inputs, count);
    assert.equal(Object.values(report.categories).reduce((a, b) => a + b, 0), count);
    // Below a few hundred inputs a category of small weight may be drawn no time.
    if (count >= 1000) assert.deepEqual(CATEGORY_NAMES.filter((c) => report.categories[c] === undefined), []);
  });
  it('keeps the wormwatch process alive whatever it is sent', () => holds('crashed'));
  it('answers or closes every connection within the configured time-outs', () => holds('hung'));
  it('forwards to the origin only the top-level requests of each client, each once', () => holds('smuggled'));
  it('gives each client only the answers to its own requests, in order', () => holds('desynchronised'));
  it('lets no request that block mode must stop reach the origin, however it is encoded', () => holds('passedThrough'));
  it('leaves no origin connection open once the clients have gone', () => holds('leaked'));
  it('counts every request that reached the origin in wormwatch_requests_total or upstream errors', () => holds('uncounted'));
});
