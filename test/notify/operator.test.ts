import assert from 'node:assert/strict';
import { Outbox } from '../../src/notify/outbox.js';
import { admitExposure, DAY_MS, OPERATOR_MAILS_PER_DAY, OperatorHandoff, utcDay, type ExposureFacts } from '../../src/notify/operator.js';
import { renderOperatorMail } from '../../src/notify/operator-render.js';
import type { NoticeRow } from '../../src/notify/types.js';
import { detection, exposure, tempDir } from './support.js';

const DAY = Date.UTC(2026, 2, 14);
const TEXT = { id: 'probe-dotenv', title: 'Hunt for a .env secrets file', description: 'Bots ask every site for it.', references: [] };

function facts(path: string, at: number, ip = '198.51.100.7'): ExposureFacts {
  return { ip, path, status: 200, signature: TEXT, firstSeen: at, lastSeen: at, hits: 1, samples: [`GET ${path} HTTP/1.1`] };
}

function operatorRow(over: Partial<NoticeRow>): NoticeRow {
  return {
    id: 1, ip: '198.51.100.7', state: 'queued', reason: null, signature: 'probe-dotenv', text_id: null, hits: 1, first_seen: DAY, last_seen: DAY,
    samples: '["GET /.env HTTP/1.1"]', hostname: null, host_status: null, message_id: '<m@example.org>', attempts: 0, created_at: DAY, updated_at: DAY,
    next_attempt_at: DAY, lease_until: null, deadline_at: null, sent_at: null, smtp_reply: null, kind: 'operator', path: '/.env', status: 200,
    recipient: 'ops@example.net', asn: null, as_org: null, country: null, hosts: null, unlisted: null, ...over,
  };
}

describe('operator mail, the message (pure)', () => {
  const settings = { from: 'wormwatch@example.org', version: '9.9.9', blocking: false };

  it('is addressed to the stored recipient, with the subject naming path, source and signature', () => {
    const m = renderOperatorMail(operatorRow({}), TEXT, settings);
    assert.deepEqual([m.from, m.to, m.cc, m.bcc], ['wormwatch@example.org', ['ops@example.net'], [], []]);
    assert.equal(m.subject, 'wormwatch: /.env was served to 198.51.100.7 (probe-dotenv)');
    assert.equal(m.messageId, '<m@example.org>');
    assert.equal(m.headers['X-Wormwatch-Kind'], 'operator');
  });

  it('keeps what an attacker chose (path, request lines) to printable ASCII, in the body and out of the headers', () => {
    const hostile = '/x\r\nBcc: victim@example.com\u001b[31m/\u2028.env';
    const m = renderOperatorMail(operatorRow({ path: hostile, samples: JSON.stringify([`GET ${hostile} HTTP/1.1`]) }), TEXT, settings);
    for (const value of [m.subject, ...Object.values(m.headers)]) assert.doesNotMatch(value, /[\r\n\x00-\x1f\x7f\u2028]/);
    assert.match(m.subject, /^wormwatch: \/x\\x0d\\x0aBcc: victim@example\.com\\x1b\[31m\/\\u2028\.env was served/);
    assert.doesNotMatch(m.text, /[\x00-\x09\x0b-\x1f\x7f-\uffff]/, 'no control or non-ASCII character in the body');
    assert.equal(m.text.split('\n').filter((l) => /^Bcc:/i.test(l)).length, 0);
  });

  it('tells how to lift the block, and says the block is on when this wormwatch blocks exposures', () => {
    const off = renderOperatorMail(operatorRow({ path: '/a b/.env' }), TEXT, settings).text.replace(/\s+/g, ' ');
    assert.match(off, /Run wormwatch with --mode block --block-exposures/);
    assert.match(off, /DELETE \/exposures\?path=\/a%20b\/\.env/);
    const on = renderOperatorMail(operatorRow({}), TEXT, { ...settings, blocking: true }).text.replace(/\s+/g, ' ');
    assert.match(on, /runs with --mode block --block-exposures: later requests for \/\.env are refused already/);
  });
});

describe('operator mail, the hand-off (pure)', () => {
  it('keeps one entry per path per UTC day, counting hits, and ignores what is not an exposure', () => {
    const h = new OperatorHandoff(10);
    assert.equal(h.add(detection('45.33.32.156')), true);
    assert.equal(h.size, 0, 'a probe is not an exposure');
    h.add(exposure('198.51.100.7', '/.env', new Date(DAY + 1000)));
    h.add(exposure('198.51.100.8', '/.env', new Date(DAY + 2000)));
    h.add(exposure('198.51.100.9', '/.env', new Date(DAY + DAY_MS)));
    h.add(exposure('198.51.100.9', '/api/.env', new Date(DAY + 3000)));
    const taken = h.take(10);
    assert.deepEqual(taken.map((f) => [f.path, utcDay(f.firstSeen), f.hits, f.ip]), [
      ['/.env', DAY, 2, '198.51.100.7'], ['/.env', DAY + DAY_MS, 1, '198.51.100.9'], ['/api/.env', DAY, 1, '198.51.100.9'],
    ]);
  });

  it('is bounded: a path beyond its maximum is refused, a known one still counted', () => {
    const h = new OperatorHandoff(2);
    assert.equal(h.add(exposure('198.51.100.7', '/a/.env')), true);
    assert.equal(h.add(exposure('198.51.100.7', '/b/.env')), true);
    assert.equal(h.add(exposure('198.51.100.7', '/c/.env')), false);
    assert.equal(h.add(exposure('198.51.100.7', '/a/.env')), true);
    assert.equal(h.size, 2);
  });
});

describe('operator mail in the outbox (real SQLite)', () => {
  let dir: ReturnType<typeof tempDir>;
  let box: Outbox;
  const admission = { recipient: 'ops@example.net', maxAgeMs: 3 * DAY_MS, messageId: () => '<m@example.org>' };
  beforeEach(() => {
    dir = tempDir();
    box = new Outbox(dir.path);
  });
  afterEach(() => {
    box.close();
    dir.remove();
  });
  const offender = (ip: string, state: 'queued' | 'suppressed', at = DAY) =>
    box.insert({ facts: { ip, signature: TEXT, firstSeen: at, lastSeen: at, hits: 1, samples: [] }, state, reason: state === 'suppressed' ? 'hourly-cap' : null, messageId: null, now: at, deadline: at + DAY_MS });

  it('mails a path once a UTC day: later exposures join the mail while it waits, none once it went, the next day mails again', () => {
    assert.equal(admitExposure(box, facts('/.env', DAY + 10), DAY + 10, admission), 'queued');
    assert.equal(admitExposure(box, facts('/.env', DAY + 20, '198.51.100.8'), DAY + 20, admission), 'merged');
    const [row] = box.list({ kind: 'operator', limit: 5 });
    assert.deepEqual([row!.hits, row!.ip, row!.path, row!.status, row!.recipient, row!.last_seen], [2, '198.51.100.7', '/.env', 200, 'ops@example.net', DAY + 20]);
    box.markSent(row!, '250 ok', DAY + 30);
    assert.equal(admitExposure(box, facts('/.env', DAY_MS + DAY - 1), DAY + 40, admission), 'done');
    assert.equal(box.get(row!.id)!.hits, 2, 'the mail that went is left as it went');
    assert.equal(admitExposure(box, facts('/.env', DAY + DAY_MS), DAY + DAY_MS, admission), 'queued');
  });

  it('regression: an exposure decided while its mail was being sent joins it; a failed attempt keeps it, a sent mail is left as it was written', () => {
    admitExposure(box, facts('/.env', DAY + 10), DAY + 10, admission);
    const [claimed] = box.claimDue(DAY + 11, 60_000, { operator: 1 });
    assert.equal(admitExposure(box, facts('/.env', DAY + 20, '198.51.100.8'), DAY + 20, admission), 'merged', 'was done: lost from the retry');
    assert.equal(box.get(claimed!.id)!.hits, 2);
    box.markRetry(claimed!.id, DAY + 30, '451', DAY + 21);
    const [again] = box.claimDue(DAY + 31, 60_000, { operator: 1 });
    assert.equal(again!.hits, 2, 'the retry counts it');
    assert.equal(admitExposure(box, facts('/.env', DAY + 40, '198.51.100.9'), DAY + 40, admission), 'merged');
    box.markSent(again!, '250 ok', DAY + 41);
    const sent = box.get(again!.id)!;
    assert.deepEqual([sent.state, sent.hits, sent.last_seen], ['sent', 2, DAY + 20], 'what the mail said');
  });

  it(`mails at most ${OPERATOR_MAILS_PER_DAY} paths a day`, () => {
    for (let i = 0; i < OPERATOR_MAILS_PER_DAY; i++) assert.equal(admitExposure(box, facts(`/${i}/.env`, DAY + i), DAY + i, admission), 'queued');
    assert.equal(admitExposure(box, facts('/one-more/.env', DAY + 99), DAY + 99, admission), 'over-daily-cap');
    assert.equal(box.list({ kind: 'operator', limit: 100 }).length, OPERATOR_MAILS_PER_DAY);
  });

  it('claims operator mail before older offender notices, needs no lookup for it, and claims only the kinds asked for', () => {
    const old = offender('45.33.32.156', 'queued', DAY - 1000);
    box.setHost(old, null, 'no PTR', [], DAY - 1000);
    admitExposure(box, facts('/.env', DAY), DAY, admission);
    assert.deepEqual(box.awaitingLookup(10, []).map((r) => r.kind), [], 'nothing to look up: the offender was, the operator mail never is');
    assert.deepEqual(box.claimDue(DAY + 1, 60_000, { offender: 0 }).map((r) => r.kind), [], 'not asked for: not taken');
    assert.deepEqual(box.claimDue(DAY + 1, 60_000, { operator: 1, offender: 1 }).map((r) => r.kind), ['operator', 'offender']);
  });

  it('keeps offender rules to offender rows: the per-address interval and the hourly cap ignore operator mail', () => {
    admitExposure(box, facts('/.env', DAY, '45.33.32.156'), DAY, admission);
    assert.equal(box.latestFor('45.33.32.156', DAY - 1), undefined);
    assert.equal(box.countSince(DAY - 1), 0);
  });

  it('evicts offender rows sent or suppressed first, then failed ones, operator mail last, and never one waiting', () => {
    const mail = (path: string) => (admitExposure(box, facts(path, DAY), DAY, admission), box.list({ kind: 'operator', limit: 1 })[0]!.id);
    const sentMail = mail('/old/.env');
    box.markSent(box.get(sentMail)!, '250', DAY);
    const failed = offender('45.33.32.1', 'queued');
    box.markFailed(failed, '554', DAY);
    offender('45.33.32.2', 'suppressed');
    const waiting = mail('/new/.env');
    const queued = offender('45.33.32.3', 'queued');
    const left = () => box.list({ limit: 10 }).map((r) => r.id).sort((a, b) => a - b);
    box.evict(1);
    assert.deepEqual(left(), [sentMail, failed, waiting, queued], 'the suppressed offender row first, though newer');
    box.evict(1);
    assert.deepEqual(left(), [sentMail, waiting, queued]);
    box.evict(5);
    assert.deepEqual(left(), [waiting, queued], 'waiting rows of either kind stay');
  });
});
