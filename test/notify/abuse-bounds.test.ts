import assert from 'node:assert/strict';
import { builtinCatalogue } from '../../src/rules/index.js';
import type { DetectionEvent } from '../../src/detect/detection.js';
import { Outbox } from '../../src/notify/outbox.js';
import { HOSTS, isDigest, MAILBOX, metricValue, partsOf, useAbuseWorld } from './abuse-support.js';
import { waitFor } from './support.js';

// Every address here is DATA: RDAP, DNS and SMTP are servers on 127.0.0.1.
const codered = builtinCatalogue().find((s) => s.id === 'codered-ii')!;
const hit = (ip: string, at = new Date(), requestLine = 'GET /default.ida?NNNN HTTP/1.0'): DetectionEvent =>
  ({ ip, at, action: 'forwarded', requestLine, verdict: { signature: codered, stage: codered.stage, evidence: requestLine } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the abuse tier keeps its bounds: --abuse-after, caps, hostile and failing registries (loopback servers)', function () {
  this.timeout(60_000);
  const w = useAbuseWorld({ abuseDigestInterval: '300ms' });
  let box: Outbox | undefined;
  afterEach(() => {
    box?.close();
    box = undefined;
  });
  async function start(flags: Record<string, unknown> = {}): Promise<Outbox> {
    await w.start(flags);
    return (box = new Outbox(w.dir.path));
  }
  const digests = () => w.digests();
  const lookups = (result: string) => metricValue(w.metrics.registry, 'wormwatch_rdap_lookups_total', { result });
  const waiting = (b: Outbox) => b.db.prepare('SELECT ip, attempts, last_error FROM abuse_entries WHERE notice_id IS NULL ORDER BY ip').all() as { ip: string; attempts: number; last_error: string | null }[];

  it('with --abuse-after lists only hosts still probing that long after their first host-tier notice', async () => {
    const b = await start({ abuseAfter: '600ms' });
    w.notifier!.notify(hit(HOSTS.ripe));
    w.notifier!.notify(hit(HOSTS.arin));
    await waitFor(() => w.smtp.received.filter((m) => !isDigest(m)).length === 2, 20_000, 'both host-tier notices');
    await sleep(700);
    w.notifier!.notify(hit(HOSTS.arin)); // still probing after --abuse-after
    const digest = await waitFor(() => digests()[0], 20_000, 'the digest');
    await sleep(700);
    assert.deepEqual(digests().map((m) => m.to), [[MAILBOX.arin]], 'the host that stopped is not escalated');
    assert.equal(w.rdap.hits(`/rdap/ip/${HOSTS.ripe}`), 0);
    assert.match(partsOf(digest)[0]!.body.replace(/\n\s*/g, ' '), /a host is listed here only if it kept probing \S+( \S+)? after that\./);
    assert.equal(b.list({ kind: 'abuse', limit: 5 }).length, 1);
  });

  it('counts digests in the per-domain cap: a second digest to the same domain within the hour is suppressed', async () => {
    const b = await start({ noticeMaxPerDomainPerHour: 1 });
    w.notifier!.notify(hit(HOSTS.ripe));
    await waitFor(() => digests().length === 1, 20_000, 'the first digest');
    await waitFor(() => b.list({ kind: 'abuse', limit: 5 })[0]?.state === 'sent', 10_000, 'marked sent');
    w.notifier!.notify(hit(HOSTS.ripeToo)); // the next interval: a new digest to ripe-ncc.example
    await waitFor(() => b.list({ kind: 'abuse', limit: 5 }).some((r) => r.state === 'suppressed'), 20_000, 'the second digest decided');
    const rows = b.list({ kind: 'abuse', limit: 5 });
    assert.deepEqual(rows.map((r) => [r.recipient, r.state, r.reason]), [[MAILBOX.ripe, 'suppressed', 'domain-cap'], [MAILBOX.ripe, 'sent', null]]);
    assert.equal(digests().length, 1);
    assert.equal(await metricValue(w.metrics.registry, 'wormwatch_notices_suppressed_total', { reason: 'domain-cap' }), 1);
  });

  it('counts digests in the hourly cap with host-tier notices', async () => {
    const b = await start({ noticeMaxPerHour: 1 });
    w.notifier!.notify(hit(HOSTS.afrinic)); // its host notice takes the one slot of the hour
    await waitFor(() => b.list({ kind: 'abuse', limit: 5 })[0]?.state === 'suppressed', 20_000, 'the digest decided');
    assert.equal(b.list({ kind: 'abuse', limit: 5 })[0]!.reason, 'hourly-cap');
    assert.equal(digests().length, 0);
  });

  it('waits out a 429 with Retry-After and then lists the host; the server is asked nothing meanwhile', async () => {
    w.rdap.route(`/rdap/ip/${HOSTS.arin}`, (_p, n) => (n === 1 ? { status: 429, retryAfter: '1' } : { body: { objectClassName: 'ip network', startAddress: '8.8.8.0', endAddress: '8.8.8.255', entities: [{ roles: ['abuse'], vcardArray: ['vcard', [['email', {}, 'text', MAILBOX.arin]]] }] } }));
    await start();
    w.notifier!.notify(hit(HOSTS.arin));
    await waitFor(() => digests()[0], 20_000, 'the digest after the back-off');
    assert.equal(w.rdap.requests.length, 2, 'one refused request, then one after Retry-After, none between');
    assert.ok(await lookups('rate-limited') >= 1);
    assert.equal(await lookups('found'), 1);
  });

  it('keeps hosts waiting, with the reason, when a registry answers a malformed body or too slowly; the host tier is not held up', async () => {
    w.rdap.route(`/rdap/ip/${HOSTS.afrinic}`, { body: '{"objectClassName": "ip network", "entities": [' });
    w.rdap.route(`/rdap/ip/${HOSTS.lacnic}`, { delayMs: 5_000, body: {} });
    const b = await start({ rdapTimeout: '200ms' });
    w.notifier!.notify(hit(HOSTS.afrinic));
    w.notifier!.notify(hit(HOSTS.lacnic));
    await waitFor(() => w.smtp.received.filter((m) => !isDigest(m)).length === 2, 20_000, 'both host-tier notices');
    await waitFor(() => waiting(b).every((e) => e.attempts >= 1), 20_000, 'both lookups failed once');
    const rows = waiting(b);
    assert.deepEqual(rows.map((e) => e.ip), [HOSTS.lacnic, HOSTS.afrinic].sort());
    assert.ok(rows.every((e) => e.last_error !== null && e.last_error.length <= 300), JSON.stringify(rows));
    assert.ok(await lookups('invalid') >= 1, 'the malformed body counted');
    assert.ok(await lookups('timeout') >= 1, 'the slow server counted');
    assert.equal(digests().length, 0);
  });
});
