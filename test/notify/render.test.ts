import assert from 'node:assert/strict';
import { buildRecipients } from '../../src/notify/recipients.js';
import { headerSafe, mergeHit, renderMessage, sanitiseSample, type RenderSettings } from '../../src/notify/render.js';
import type { NoticeFacts } from '../../src/notify/types.js';

const settings: RenderSettings = {
  from: 'Security Team <wormwatch@example.org>', replyTo: 'abuse@example.org', cc: ['soc@example.org'], bcc: [],
  footer: 'Example Org security team\nhttps://example.org/security', intervalMs: 86_400_000, version: '9.9.9',
};
const facts: NoticeFacts = {
  ip: '45.33.32.156',
  signature: { id: 'codered-ii', title: 'CodeRed II probe', description: 'CodeRed II exploits a buffer overflow in IIS.\nInstall MS01-033 and rebuild the host.', references: ['CVE-2001-0500', 'https://www.cisa.gov/'] },
  firstSeen: Date.UTC(2026, 10, 27, 15, 0, 0), lastSeen: Date.UTC(2026, 10, 27, 15, 30, 5), hits: 1000,
  samples: ['GET /default.ida?NNNN HTTP/1.0'],
};
const id = { messageId: '<abc@example.org>', date: 'Fri, 27 Nov 2026 15:00:00 GMT' };

describe('notice message (pure)', () => {
  const confirmed = renderMessage({ facts, host: { hostname: 'host.example.net' }, recipients: buildRecipients(['administrator@{ip}', 'administrator@{hostname}'], facts.ip, 'host.example.net'), ...id }, settings);

  it('has the subject, sender, reply-to and the RFC 3834 and wormwatch headers', () => {
    assert.equal(confirmed.subject, '[wormwatch] CodeRed II probe from 45.33.32.156 (host.example.net)');
    assert.equal(confirmed.from, 'Security Team <wormwatch@example.org>');
    assert.equal(confirmed.replyTo, 'abuse@example.org');
    assert.deepEqual(confirmed.cc, ['soc@example.org']);
    assert.deepEqual(confirmed.headers, { 'Auto-Submitted': 'auto-generated', 'X-Wormwatch-Signature': 'codered-ii' });
    assert.equal(confirmed.messageId, '<abc@example.org>');
  });

  it('tells what was seen, what it means, how to fix it and who is writing', () => {
    const t = confirmed.text;
    for (const part of ['CodeRed II probe (codered-ii)', 'First seen: 2026-11-27 15:00:00 UTC', 'Last seen:  2026-11-27 15:30:05 UTC',
      'Requests:   1000', 'GET /default.ida?NNNN HTTP/1.0', 'buffer overflow in IIS', 'Install MS01-033', '- CVE-2001-0500',
      'wormwatch 9.9.9', 'Replies reach abuse@example.org', '1 day', '\n-- \nExample Org security team\nhttps://example.org/security\n']) {
      assert.ok(t.includes(part), `body has ${JSON.stringify(part)}`);
    }
  });

  it('says when host-name recipients were left out, and why', () => {
    const m = renderMessage({ facts, host: { hostname: null, reason: 'the reverse DNS name is not a valid host name' }, recipients: buildRecipients(['administrator@{ip}', 'administrator@{hostname}'], facts.ip, null), ...id }, settings);
    assert.equal(m.subject, '[wormwatch] CodeRed II probe from 45.33.32.156');
    assert.match(m.text.replace(/\s+/g, ' '), /Host-name recipients \(administrator@\{hostname\}\) were left out: the reverse DNS name is not a valid host name/);
  });

  it('lets no CR/LF from any input into a header value', () => {
    const evil = { ...facts, signature: { ...facts.signature, id: 'x\r\nBcc: a@b', title: 'T\r\nBcc: victim@example.com' } };
    const m = renderMessage({ facts: evil, host: null, recipients: { to: ['root@[45.33.32.156]\r\nX: y'], dropped: [] }, messageId: '<a\r\n@b>', date: 'd\n' }, { ...settings, from: 'a@b\r\nBcc: c@d', replyTo: 'r@s\nX: 1' });
    const headerValues = [m.subject, m.from, m.replyTo!, m.messageId, m.date, ...m.to, ...Object.values(m.headers)];
    for (const v of headerValues) assert.ok(!/[\r\n]/.test(v), JSON.stringify(v));
    assert.equal(headerSafe('a\u2028b\r\n\tc'), 'a b c');
  });

  it('escapes control and non-ASCII bytes in sample lines, and bounds their length', () => {
    assert.equal(sanitiseSample('GET /a\r\nb\x00é'), 'GET /a\\x0d\\x0ab\\x00\\xe9');
    assert.equal(sanitiseSample('x'.repeat(500)).length, 200);
  });

  it('merges later hits: count, first/last seen and up to five distinct samples', () => {
    let f = facts;
    for (let i = 0; i < 10; i++) f = mergeHit(f, facts.lastSeen + i * 1000, `GET /x${i}`);
    assert.equal(f.hits, 1010);
    assert.equal(f.lastSeen, facts.lastSeen + 9000);
    assert.equal(f.samples.length, 5);
  });
});
