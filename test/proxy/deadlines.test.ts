import { strict as assert } from 'node:assert';
import { performance } from 'node:perf_hooks';
import { Deadlines } from '../../src/proxy/deadlines.js';

describe('proxy response deadlines', () => {
  it('expires overdue entries oldest first, never one deleted before, and stops sweeping when empty', async () => {
    const expired: string[] = [];
    let last: () => void = () => {};
    const done = new Promise<void>((resolve) => (last = resolve));
    const deadlines = new Deadlines<{ started: number; name: string }>(30, (e) => {
      expired.push(e.name);
      if (e.name === 'third') last();
    });
    const answered = { started: performance.now(), name: 'answered' };
    deadlines.add({ started: performance.now(), name: 'first' });
    deadlines.add(answered);
    deadlines.add({ started: performance.now(), name: 'second' });
    deadlines.delete(answered);
    deadlines.add({ started: performance.now(), name: 'third' });
    await done;
    assert.deepEqual(expired, ['first', 'second', 'third']);
    assert.equal(deadlines.size, 0);
  });

  it('leaves an entry alone until its own time-out has passed', async () => {
    const expired: number[] = [];
    let fired: () => void = () => {};
    const done = new Promise<void>((resolve) => (fired = resolve));
    const deadlines = new Deadlines<{ started: number }>(40, (e) => {
      expired.push(performance.now() - e.started);
      fired();
    });
    deadlines.add({ started: performance.now() });
    await done;
    assert.ok(expired[0]! >= 40, `expired after ${expired[0]} ms, before its 40 ms time-out`);
  });
});
