import assert from 'node:assert/strict';
import { appendFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultEngine } from '../../src/rules/index.js';
import type { DetectionEvent } from '../../src/detect/detection.js';
import { runScan } from '../../src/scan/index.js';
import { CODERED, COMBINED, fixtureDir, type FixtureDir } from './fixtures.js';

const engine = defaultEngine();
/** CodeRed II from another address (the address is the only change to the verbatim line). */
const coderedFrom = (ip: string): string => CODERED.replace(/^\S+/, ip);

/** Waits for a condition the scanner must reach; fails with `what` if it never does. */
async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await sleep(20);
  }
}

describe('wormwatch scan --follow', () => {
  let fx: FixtureDir;
  beforeEach(() => {
    fx = fixtureDir();
  });
  afterEach(() => fx.remove());

  it('tails a growing log across a partial line, a rename-and-create rotation, and a truncation', async () => {
    const path = join(fx.dir, 'access.log');
    writeFileSync(path, `${COMBINED[1]}\n${coderedFrom('192.0.2.1')}\n`);
    const events: DetectionEvent[] = [];
    const seen = (ip: string) => events.some((e) => e.ip === ip);
    const abort = new AbortController();
    const done = runScan({ files: [path], format: 'auto', follow: true, signal: abort.signal, followIntervalMs: 30 }, { engine: () => engine, onDetection: (e) => events.push(e) });
    try {
      await until('the existing content is read', () => seen('192.0.2.1'));

      const half = coderedFrom('192.0.2.2');
      appendFileSync(path, half.slice(0, 100));
      await sleep(100); // let the follower read the partial line; it must wait for the rest
      appendFileSync(path, `${half.slice(100)}\n`);
      await until('a line written in two parts is read once complete', () => seen('192.0.2.2'));

      renameSync(path, `${path}.1`);
      appendFileSync(`${path}.1`, `${coderedFrom('192.0.2.3')}\n`); // the writer still had the old file open
      writeFileSync(path, `${coderedFrom('192.0.2.4')}\n${COMBINED[0]}\n${COMBINED[1]}\n`);
      await until('the renamed file is finished and the new one read', () => seen('192.0.2.3') && seen('192.0.2.4'));

      truncateSync(path, 0);
      appendFileSync(path, `${coderedFrom('192.0.2.5')}\n`.slice(0, 10)); // shorter than what was read
      await sleep(100);
      appendFileSync(path, `${coderedFrom('192.0.2.5')}\n`.slice(10));
      await until('the truncated file is read again from its start', () => seen('192.0.2.5'));
    } finally {
      abort.abort();
    }
    const summary = await done;
    assert.deepEqual(events.map((e) => e.ip), ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5'], 'each worm line once, in order');
    assert.equal(summary.files.length, 1);
    assert.equal(summary.files[0]!.lines, 8);
    assert.equal(summary.unparsable, 0);
    assert.equal(summary.detections.byFamily.codered, 5);
  });

  it('waits for a log that does not exist yet', async () => {
    const path = join(fx.dir, 'later.log');
    const events: DetectionEvent[] = [];
    const abort = new AbortController();
    const done = runScan({ files: [path], format: 'combined', follow: true, signal: abort.signal, followIntervalMs: 30 }, { engine: () => engine, onDetection: (e) => events.push(e) });
    try {
      await sleep(100);
      writeFileSync(path, `${coderedFrom('192.0.2.9')}\n`);
      await until('the file is found and read', () => events.length === 1);
    } finally {
      abort.abort();
    }
    assert.equal((await done).files[0]!.error, undefined);
  });
});
