import assert from 'node:assert/strict';
import { decodeEntry, entryFactsOf, mergeEntryFacts } from '../../src/notify/abuse-facts.js';
import { networkLabel } from '../../src/notify/abuse.js';
import type { EntryRow } from '../../src/notify/abuse-store.js';
import { categoryOf, renderDigest, type DigestSettings } from '../../src/notify/digest-render.js';
import { MAX_SAMPLES, MAX_SIGNATURES, type NoticeFacts, type NoticeRow, type SignatureRef } from '../../src/notify/types.js';

const T0 = Date.UTC(2026, 0, 15, 10, 0, 0);
const sig = (id: string, family: string): SignatureRef => ({ id, title: `${id} title`, family });
const facts = (over: Partial<NoticeFacts> = {}): NoticeFacts => ({
  ip: '45.33.32.156', signature: { id: 'codered-ii', title: 'CodeRed II worm (X variant)', description: 'd', references: [], family: 'codered' },
  firstSeen: T0, lastSeen: T0, hits: 1, samples: ['GET /default.ida?NNNN HTTP/1.0'], sampleTimes: [T0], ...over,
});
const entry = (ip: string, over: Partial<EntryRow> = {}): EntryRow => ({
  id: 1, ip, notice_id: 7, hits: 3, first_seen: T0, last_seen: T0 + 60_000, signatures: JSON.stringify([sig('codered-ii', 'codered')]),
  samples: JSON.stringify([[T0, 'GET /default.ida?NNNN HTTP/1.0']]), asn: null, as_org: null, country: null, network: 'NET-1 (45.33.32.0/24)',
  attempts: 0, next_lookup_at: null, last_error: null, created_at: T0, listed_at: T0, ...over,
});
const digestRow = (over: Partial<NoticeRow> = {}): NoticeRow => ({
  id: 7, ip: '', state: 'queued', reason: null, signature: 'abuse-digest', text_id: null, hits: 6, first_seen: T0, last_seen: T0 + 60_000, samples: null,
  hostname: null, host_status: 'closed', message_id: '<d@example.net>', attempts: 0, created_at: T0 + 86_400_000, updated_at: T0, next_attempt_at: T0,
  lease_until: null, deadline_at: null, sent_at: null, smtp_reply: null, kind: 'abuse', path: null, status: null, recipient: 'abuse@isp.example',
  asn: null, as_org: null, country: null, hosts: 2, unlisted: 0, ...over,
});
const settings: DigestSettings = { from: 'Example Hosting <security@example.net>', replyTo: undefined, cc: [], bcc: [], footer: undefined, intervalMs: 86_400_000, afterMs: 0, hostTier: true, version: '0.1.0' };

describe('abuse digest facts and rendering (pure)', () => {
  it('merges later hits into an entry within MAX_SAMPLES lines and MAX_SIGNATURES signatures, each once', () => {
    let f = entryFactsOf(facts());
    for (let i = 0; i < 20; i++) {
      f = mergeEntryFacts(f, entryFactsOf(facts({ signature: { id: `s${i % 12}`, title: 't', description: '', references: [], family: 'hunt' }, samples: [`GET /x${i % 8} HTTP/1.1`], sampleTimes: [T0 + i], lastSeen: T0 + i })));
    }
    assert.equal(f.hits, 21);
    assert.equal(f.samples.length, MAX_SAMPLES);
    assert.equal(new Set(f.samples.map(([, l]) => l)).size, MAX_SAMPLES);
    assert.equal(f.signatures.length, MAX_SIGNATURES);
    assert.equal(new Set(f.signatures.map((s) => s.id)).size, MAX_SIGNATURES);
    assert.equal(f.lastSeen, T0 + 19);
  });

  it('reads a damaged stored entry as empty lists, never throwing', () => {
    const f = decodeEntry(entry('45.33.32.156', { signatures: '{not json', samples: '[[1, 2], "x", [3, "ok"]]' }));
    assert.deepEqual(f.signatures, []);
    assert.deepEqual(f.samples, [[3, 'ok']]);
  });

  it('names the category from the detection v3 families: worms, scanners and hunts, web attacks', () => {
    assert.equal(categoryOf([sig('mirai-gpon', 'iot-botnet')]), 'worm');
    assert.equal(categoryOf([sig('probe-dotenv', 'hunt'), sig('nikto-scanner', 'scanner')]), 'scanner');
    assert.equal(categoryOf([sig('log4shell-jndi', 'log4shell'), sig('probe-git', 'hunt')]), 'web-attack');
  });

  it('labels a network by its handle and first prefixes, bounded', () => {
    assert.equal(networkLabel({ start: '8.8.8.0', end: '8.8.8.255', cidrs: ['8.8.8.0/24'], handle: 'NET-8-8-8-0-2', name: 'GOGL', country: null }), 'NET-8-8-8-0-2 (8.8.8.0/24)');
    assert.equal(networkLabel({ start: 'a', end: 'b', cidrs: ['1.0.0.0/24', '1.0.1.0/24', '1.0.2.0/24'], handle: null, name: null, country: null }), '1.0.0.0/24, 1.0.1.0/24, ...');
    assert.ok(networkLabel({ start: 'a', end: 'b', cidrs: ['1.0.0.0/24'], handle: 'H'.repeat(1000), name: null, country: null })!.length <= 200);
  });

  it('renders a digest of many hosts with every host, its sanitised samples, the unlisted count and CLF evidence', () => {
    const hostile = entry('45.33.32.157', { id: 2, samples: JSON.stringify([[T0, 'GET /\x1b]0;owned\x07\r\nX-Injected: yes HTTP/1.1']]) });
    const msg = renderDigest(digestRow({ unlisted: 4 }), [entry('45.33.32.156'), hostile], settings);
    assert.match(msg.subject, /abuse digest for abuse@isp\.example: 6 hosts probing web servers, 2026-01-15/);
    assert.match(msg.text, /HOSTS \(2\)/);
    const flat = msg.text.replace(/\n\s*/g, ' ');
    assert.match(flat, /The 6 machines seen \(2 listed below\) sent requests/);
    assert.match(flat, /4 more hosts behind this address were seen after this digest held 2; they are not listed\./);
    assert.ok(!/[\x00-\x08\x0b-\x1f\x7f]/.test(msg.text), 'no control characters from the offender');
    assert.ok(!msg.text.includes('\nX-Injected'), 'the CRLF did not start a line of its own');
    assert.equal(msg.headers['X-ARF'], undefined);
    const evidence = msg.attachments![0]!;
    assert.equal(evidence.filename, 'evidence.log');
    assert.equal(evidence.content.trimEnd().split('\n').length, 2);
    assert.match(evidence.content, /^45\.33\.32\.157 - - \[15\/Jan\/2026:10:00:00 \+0000\] "GET \/\\x1b\]0;owned\\x07\\x0d\\x0aX-Injected: yes HTTP\/1\.1" - -$/m);
    assert.match(flat, /reveals nothing of our site or its visitors: only the requests these hosts sent us/);
  });
});
