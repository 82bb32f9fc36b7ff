import assert from 'node:assert/strict';
import { createLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics.js';
import { AbuseTier } from '../../src/notify/abuse.js';
import { noticeMetrics } from '../../src/notify/metrics.js';
import { Outbox } from '../../src/notify/outbox.js';
import type { NoticeFacts } from '../../src/notify/types.js';
import type { DetectionEvent } from '../../src/detect/detection.js';
import { combineFacts, Handoff } from '../../src/notify/handoff.js';
import { tempDir } from './support.js';

const T = Date.UTC(2026, 11, 1, 12);
const AFTER = 600_000;
const facts = (lastSeen: number, hostQueuedAt?: number): NoticeFacts => ({
  ip: '45.33.32.156', signature: { id: 'codered-ii', title: 'CodeRed II', description: 'd', references: [] }, firstSeen: T, lastSeen, hits: 1,
  samples: ['GET /default.ida?NNNN HTTP/1.0'], ...(hostQueuedAt !== undefined ? { hostQueuedAt } : {}),
});

describe('the abuse tier\'s --abuse-after, when the host-tier notice is in the fleet\'s stream (real SQLite)', () => {
  let dir: ReturnType<typeof tempDir>;
  let box: Outbox;
  let tier: AbuseTier;

  beforeEach(() => {
    dir = tempDir();
    box = new Outbox(dir.path);
    tier = new AbuseTier({
      rules: { allow: [], allowPrivate: [] }, afterMs: AFTER, digestIntervalMs: 86_400_000, maxRows: 1000, retryBaseMs: 1000, retryMaxMs: 1000,
      maxPerHour: 100, maxPerDomainPerHour: 100, maxAgeMs: 86_400_000,
    }, {
      outbox: () => box, metrics: noticeMetrics(createMetrics('test').notices), logger: createLogger('silent'), onWriteError: () => undefined, onReady: () => undefined,
      lookup: () => Promise.reject(new Error('not asked here')), messageId: () => '<m@example.org>', now: () => T,
    });
  });
  afterEach(() => {
    tier.stop();
    box.close();
    dir.remove();
  });
  const counts = () => ({ hour: 0, held: 0, pending: 0 });

  it('counts from when the stream took the host notice: hits before AFTER are not escalated, a later one is', () => {
    assert.equal(tier.admit(box, facts(T + 1000, T), T + 1000, counts()), 'skipped', 'its administrators have had no time to act yet');
    assert.equal(tier.admit(box, facts(T + AFTER + 1, T), T + AFTER + 1, counts()), 'waiting', 'still probing after --abuse-after: listed');
  });

  it('without a host notice anywhere (not in the outbox, not streamed) escalates nothing, as before', () => {
    assert.equal(tier.admit(box, facts(T + AFTER + 1), T + AFTER + 1, counts()), 'skipped');
  });
});

describe('the hand-off: hits for the abuse tier alone (pure)', () => {
  const codered = { id: 'codered-ii', title: 'CodeRed II', description: 'd', references: [], family: 'codered', stage: 'request' } as unknown as DetectionEvent['verdict']['signature'];
  const hit = (at: number): DetectionEvent => ({ ip: '45.33.32.156', at: new Date(at), action: 'forwarded', requestLine: 'GET /default.ida HTTP/1.0', verdict: { signature: codered, stage: 'request', evidence: '' } });

  it('keeps the stream\'s queue time while every hit is streamed, and drops it once a hit is the host tier\'s to judge', () => {
    const h = new Handoff();
    h.add(hit(T), T);
    h.add(hit(T + 1), T);
    assert.equal(h.take(10)[0]!.hostQueuedAt, T);
    h.add(hit(T + 2), T);
    h.add(hit(T + 3));
    assert.equal(h.take(10)[0]!.hostQueuedAt, undefined);
  });

  it('combines put-back facts the same way: the earlier queue time, or none when one side has none', () => {
    const base = facts(T, T + 5);
    assert.equal(combineFacts(base, facts(T, T + 2)).hostQueuedAt, T + 2);
    assert.equal(combineFacts(base, facts(T)).hostQueuedAt, undefined);
    assert.equal(combineFacts(facts(T), base).hostQueuedAt, undefined);
  });
});
