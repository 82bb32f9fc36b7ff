import assert from 'node:assert/strict';
import { DigestSharing } from '../../src/notify/abuse-fleet.js';
import type { DigestGate, DigestVerdict, SharedHost } from '../../src/notify/index.js';
import type { NoticeRow } from '../../src/notify/types.js';

/** A gate with windows of 1000 ms that records what it was given (the Redis side has its own tests, against real Redis). */
function recordingGate(verdict: DigestVerdict = { send: 'none' }) {
  const shared: Array<[string, number, string]> = [];
  const settled: Array<[string, number]> = [];
  const confirmed: Array<[string, number]> = [];
  let release: () => void = () => undefined;
  const gate: DigestGate = {
    graceMs: 250,
    windowEnd: (at) => (Math.floor(at / 1000) + 1) * 1000,
    share: (mailbox, end, host) => void shared.push([mailbox, end, host.ip]),
    settle: (mailbox, end) => {
      settled.push([mailbox, end]);
      return new Promise((resolve) => (release = () => resolve(verdict)));
    },
    confirm: (mailbox, end) => void confirmed.push([mailbox, end]),
  };
  return { gate, shared, settled, confirmed, release: () => release() };
}
const digest = (id: number, createdAt: number) => ({ id, recipient: 'abuse@ripe-ncc.example', created_at: createdAt }) as NoticeRow;
const host = (ip: string): SharedHost => ({ ip, network: null, facts: { hits: 1, firstSeen: 0, lastSeen: 0, signatures: [], samples: [], network: { asn: null, asOrg: null, country: null } } });

describe('abuse digests in fleet mode: the notifier\'s side (pure)', () => {
  it('is due a grace after the end of its wall-clock window, and takes no more hosts once the window ended', () => {
    const s = new DigestSharing(recordingGate().gate);
    assert.equal(s.dueAt(12_345), 13_250);
    assert.equal(s.ended(digest(1, 12_345), 12_999), false);
    assert.equal(s.ended(digest(1, 12_345), 13_000), true);
    assert.equal(s.later(13_000), 13_250);
  });

  it('shares hosts only once their transaction committed, and none of a rolled-back one', () => {
    const g = recordingGate();
    const s = new DigestSharing(g.gate);
    s.add(digest(1, 12_345), host('193.0.6.139'));
    s.rolledBack();
    s.committed();
    assert.deepEqual(g.shared, []);
    s.add(digest(1, 12_345), host('193.0.6.140'));
    s.committed();
    assert.deepEqual(g.shared, [['abuse@ripe-ncc.example', 13_000, '193.0.6.140']]);
  });

  it('asks the fleet about a due digest once at a time, and again after its verdict came', async () => {
    const g = recordingGate();
    const s = new DigestSharing(g.gate);
    const verdicts: DigestVerdict[] = [];
    s.settle(digest(7, 12_345), (v) => verdicts.push(v));
    s.settle(digest(7, 12_345), (v) => verdicts.push(v));
    assert.deepEqual(g.settled, [['abuse@ripe-ncc.example', 13_000]]);
    g.release();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(verdicts, [{ send: 'none' }]);
    s.settle(digest(7, 12_345), (v) => verdicts.push(v));
    assert.equal(g.settled.length, 2);
  });

  it('confirms the fleet\'s digest for the digest\'s mailbox and window', () => {
    const g = recordingGate();
    new DigestSharing(g.gate).confirm(digest(7, 12_345));
    assert.deepEqual(g.confirmed, [['abuse@ripe-ncc.example', 13_000]]);
  });
});
