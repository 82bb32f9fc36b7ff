import assert from 'node:assert/strict';
import { createMetrics } from '../../src/metrics.js';
import type { Signature } from '../../src/detect/types.js';
import type { DetectionEvent } from '../../src/detect/detection.js';
import { OffenderStore } from '../../src/offenders/store.js';

function signature(id: string, family = 'codered'): Signature {
  return {
    id, family, title: id, description: '', references: [], stage: 'request',
    match: { target: 'path', pattern: 'x' }, examples: { positive: [], negative: [] },
  };
}

function event(ip: string, opts: { id?: string; family?: string; line?: string; at?: Date } = {}): DetectionEvent {
  const line = opts.line ?? 'GET /default.ida?NNNN';
  return {
    ip,
    verdict: { signature: signature(opts.id ?? 'codered-i', opts.family), stage: 'request', evidence: line },
    at: opts.at ?? new Date('2001-07-19T12:00:00Z'),
    action: 'forwarded',
    requestLine: line,
  };
}

const DAY = 86_400_000;

describe('offender store', () => {
  it('remembers first and last seen, hits per signature, the latest family and sample lines', () => {
    const store = new OffenderStore({ max: 10, ttl: DAY, samples: 5 });
    store.record(event('198.51.100.7', { at: new Date('2001-07-19T12:00:00Z'), line: 'GET /default.ida?XXXX' }));
    store.record(event('198.51.100.7', { at: new Date('2001-07-19T12:05:00Z') }));
    store.record(event('198.51.100.7', { id: 'nimda-root-exe', family: 'nimda', at: new Date('2001-09-18T13:00:00Z'), line: 'GET /scripts/root.exe?/c+dir' }));
    const o = store.get('198.51.100.7');
    assert.ok(o);
    assert.equal(o.firstSeen.toISOString(), '2001-07-19T12:00:00.000Z');
    assert.equal(o.lastSeen.toISOString(), '2001-09-18T13:00:00.000Z');
    assert.equal(o.hits, 3);
    assert.deepEqual(o.signatures, { 'codered-i': 2, 'nimda-root-exe': 1 });
    assert.equal(o.family, 'nimda');
    assert.deepEqual(o.samples, ['GET /default.ida?XXXX', 'GET /default.ida?NNNN', 'GET /scripts/root.exe?/c+dir']);
    assert.equal(o.hostname, null);
    assert.equal(store.get('203.0.113.1'), undefined);
  });

  it('lists the most recently seen first, bounded by the limit, and reading does not reorder', () => {
    const store = new OffenderStore({ max: 10, ttl: DAY, samples: 1 });
    for (const ip of ['192.0.2.1', '192.0.2.2', '192.0.2.3']) store.record(event(ip));
    store.get('192.0.2.1');
    assert.deepEqual(store.list(10).map((o) => o.ip), ['192.0.2.3', '192.0.2.2', '192.0.2.1']);
    store.record(event('192.0.2.1'));
    assert.deepEqual(store.list(2).map((o) => o.ip), ['192.0.2.1', '192.0.2.3']);
    assert.deepEqual(store.list(0), []);
  });

  it('treats every spelling of an address as one offender', () => {
    const store = new OffenderStore({ max: 10, ttl: DAY, samples: 1 });
    store.record(event('::ffff:192.0.2.44'));
    store.record(event('192.0.2.44'));
    store.record(event('2001:DB8:0:0::1'));
    assert.equal(store.size, 2);
    assert.equal(store.get('192.0.2.44')?.hits, 2);
    assert.equal(store.get('2001:db8::1')?.hits, 1);
  });

  it('keeps only the last K request lines, sanitised and truncated', () => {
    const store = new OffenderStore({ max: 10, ttl: DAY, samples: 2 });
    store.record(event('192.0.2.9', { line: 'GET /one' }));
    store.record(event('192.0.2.9', { line: 'GET /two\r\nX-Injected: \u001b[31mred' }));
    store.record(event('192.0.2.9', { line: `GET /${'A'.repeat(1000)}` }));
    const samples = store.get('192.0.2.9')!.samples;
    assert.equal(samples.length, 2);
    assert.equal(samples[0], 'GET /two\\x0d\\x0aX-Injected: \\x1b[31mred');
    assert.equal(samples[1]!.length, 200);
    assert.ok(samples[1]!.endsWith('...'));
    const none = new OffenderStore({ max: 10, ttl: DAY, samples: 0 });
    none.record(event('192.0.2.9'));
    assert.deepEqual(none.get('192.0.2.9')!.samples, []);
  });

  it('counts at most maxSignatures distinct signatures per offender, the rest as otherHits', () => {
    const store = new OffenderStore({ max: 10, ttl: DAY, samples: 1, maxSignatures: 32 });
    for (let i = 0; i < 40; i++) store.record(event('192.0.2.5', { id: `sig-${i}` }));
    store.record(event('192.0.2.5', { id: 'sig-0' }));
    const o = store.get('192.0.2.5')!;
    assert.equal(Object.keys(o.signatures).length, 32);
    assert.equal(o.signatures['sig-0'], 2);
    assert.equal(o.otherHits, 8);
    assert.equal(o.hits, 41);
  });

  it('stays within offenderMax under a flood of 200k distinct addresses, and keeps the gauge equal to its size', async () => {
    const metrics = createMetrics('test');
    const store = new OffenderStore({ max: 1000, ttl: DAY, samples: 5, gauge: metrics.offenders });
    let largest = 0;
    for (let i = 0; i < 200_000; i++) {
      store.record(event(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`));
      if (store.size > largest) largest = store.size;
    }
    assert.equal(largest, 1000);
    const last = 199_999;
    assert.ok(store.get(`10.${(last >> 16) & 255}.${(last >> 8) & 255}.${last & 255}`), 'the newest is kept');
    assert.equal(store.get('10.0.0.0'), undefined, 'the oldest was dropped');
    const gauge = await metrics.offenders.get();
    assert.equal(gauge.values[0]?.value, 1000);
  });

  it('forgets an offender not seen for the TTL, counted from its last detection', async () => {
    let now = 1_000;
    const metrics = createMetrics('test');
    const store = new OffenderStore({ max: 10, ttl: 60_000, samples: 1, gauge: metrics.offenders, now: () => now });
    store.record(event('192.0.2.1'));
    store.record(event('192.0.2.2'));
    now += 50_000;
    store.record(event('192.0.2.2'));
    now += 20_000;
    assert.equal(store.get('192.0.2.1'), undefined);
    assert.ok(store.get('192.0.2.2'));
    assert.deepEqual(store.list().map((o) => o.ip), ['192.0.2.2']);
    store.purgeStale();
    assert.equal(store.size, 1);
    assert.equal((await metrics.offenders.get()).values[0]?.value, 1);
  });

  it('stores a reverse-DNS name for a known address only, and hands out copies', () => {
    const store = new OffenderStore({ max: 10, ttl: DAY, samples: 1 });
    store.record(event('192.0.2.1'));
    store.setHostname('192.0.2.1', 'host.example.net');
    store.setHostname('192.0.2.99', 'ghost.example.net');
    assert.equal(store.get('192.0.2.1')!.hostname, 'host.example.net');
    assert.equal(store.get('192.0.2.99'), undefined);
    const copy = store.get('192.0.2.1')!;
    copy.samples.push('tampered');
    copy.signatures['codered-i'] = 99;
    assert.deepEqual(store.get('192.0.2.1')!.samples, ['GET /default.ida?NNNN']);
    assert.equal(store.get('192.0.2.1')!.signatures['codered-i'], 1);
  });
});
