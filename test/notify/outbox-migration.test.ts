import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Outbox } from '../../src/notify/outbox.js';
import { SCHEMA_VERSION } from '../../src/notify/outbox-schema.js';
import { exposure, noticeOptions, startDns, startNotifier, startSmtp, tempDir, waitFor, type TestDns, type TestSmtp } from './support.js';

// Offender addresses are DATA only; the DNS and SMTP servers are on 127.0.0.1.

/** The 0.1 layout: each row carried its facts as JSON and its rendered message. */
const V1 = `
  CREATE TABLE notices (id INTEGER PRIMARY KEY, ip TEXT NOT NULL, state TEXT NOT NULL, reason TEXT, signature TEXT NOT NULL, hits INTEGER NOT NULL,
    first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, hostname TEXT, host_status TEXT, facts TEXT NOT NULL, message TEXT,
    attempts INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, next_attempt_at INTEGER NOT NULL,
    lease_until INTEGER, deadline_at INTEGER NOT NULL, sent_at INTEGER, smtp_reply TEXT);
  CREATE INDEX notices_ip ON notices(ip, created_at);
  CREATE TABLE notice_domains (domain TEXT NOT NULL, at INTEGER NOT NULL, notice_id INTEGER NOT NULL);`;

/** Layout 2, as wormwatch wrote it before operator mail: facts only, no `kind`. */
const V2 = `
  CREATE TABLE signature_texts (id INTEGER PRIMARY KEY, signature TEXT NOT NULL, title TEXT NOT NULL, description TEXT NOT NULL, refs TEXT NOT NULL,
    UNIQUE (signature, title, description, refs));
  CREATE TABLE notices (id INTEGER PRIMARY KEY AUTOINCREMENT, ip TEXT NOT NULL, state TEXT NOT NULL, reason TEXT, signature TEXT NOT NULL,
    text_id INTEGER, hits INTEGER NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, samples TEXT, hostname TEXT,
    host_status TEXT, message_id TEXT, attempts INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
    next_attempt_at INTEGER, lease_until INTEGER, deadline_at INTEGER, sent_at INTEGER, smtp_reply TEXT);
  CREATE TABLE notice_domains (domain TEXT NOT NULL, at INTEGER NOT NULL, notice_id INTEGER NOT NULL);
  CREATE INDEX notices_ip ON notices(ip, created_at);
  CREATE INDEX notices_due ON notices(next_attempt_at, id) WHERE state IN ('queued', 'retrying', 'sending');
  CREATE INDEX notices_counted ON notices(created_at) WHERE state != 'suppressed';
  CREATE INDEX notices_lookup ON notices(id) WHERE host_status IS NULL AND state IN ('queued', 'retrying');
  CREATE INDEX notices_finished ON notices(id) WHERE state IN ('sent', 'suppressed', 'failed');
  CREATE INDEX notice_domains_at ON notice_domains(domain, at);
  PRAGMA user_version = 2;`;

/** A v2 outbox: a queued notice (its lookup done), a sent one and a suppressed one. */
function writeV2(path: string, now: number): void {
  const db = new Database(join(path, 'outbox.sqlite'));
  db.exec(V2);
  db.prepare("INSERT INTO signature_texts (signature, title, description, refs) VALUES ('codered-ii', 'CodeRed II worm', 'A worm.', '[]')").run();
  const insert = db.prepare(`INSERT INTO notices (ip, state, reason, signature, text_id, hits, first_seen, last_seen, samples, host_status, message_id,
    created_at, updated_at, next_attempt_at, deadline_at, sent_at) VALUES (?, ?, ?, 'codered-ii', 1, 2, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  insert.run('45.33.32.150', 'sent', null, now, now, '["GET /default.ida?SENT"]', 'confirmed', '<sent@example.org>', now, now, null, null, now);
  insert.run('45.33.32.151', 'suppressed', 'hourly-cap', now, now, null, null, null, now, now, null, null, null);
  insert.run('45.33.32.152', 'queued', null, now, now, '["GET /default.ida?V2"]', 'the address has no reverse DNS (PTR) name', '<v2-id@example.org>', now, now, now, now + 86_400_000, null);
  db.close();
}

describe('outbox migrations: every older layout opens as layout 4 without losing a notice', function () {
  this.timeout(60_000);
  let dir: ReturnType<typeof tempDir>;
  let dns: TestDns;
  let smtp: TestSmtp;
  beforeEach(async () => {
    dir = tempDir();
    dns = await startDns({});
    smtp = await startSmtp('accept');
  });
  afterEach(async () => {
    await smtp.close();
    await dns.close();
    dir.remove();
  });

  async function withNotifier(flags: Record<string, unknown>, body: (n: ReturnType<typeof startNotifier>['notifier']) => Promise<void>): Promise<void> {
    const { notifier } = startNotifier(noticeOptions({ dataDir: dir.path, smtpUrl: smtp.url, dnsServer: dns.server, noticeFrom: 'wormwatch@example.org', ...flags }));
    await notifier.start();
    try {
      await body(notifier);
    } finally {
      await notifier.stop();
    }
  }

  it('brings 0.1 (v1) to v4: the queued notice is sent with its Message-ID, the suppressed one keeps its facts, all are offender notices', async () => {
    const now = Date.now();
    const db = new Database(join(dir.path, 'outbox.sqlite'));
    db.exec(V1);
    const facts = (ip: string) => JSON.stringify({ ip, signature: { id: 'codered-ii', title: 'CodeRed II worm (X variant)', description: 'A worm.', references: ['CVE-2001-0500'] }, firstSeen: now, lastSeen: now, hits: 3, samples: ['GET /default.ida?XXXX'] });
    const insert = db.prepare('INSERT INTO notices (ip, state, reason, signature, hits, first_seen, last_seen, host_status, facts, message, created_at, updated_at, next_attempt_at, deadline_at) VALUES (?, ?, ?, ?, 3, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    insert.run('45.33.32.156', 'queued', null, 'codered-ii', now, now, 'the address has no reverse DNS (PTR) name', facts('45.33.32.156'), JSON.stringify({ messageId: '<old-id@example.org>' }), now, now, now, now + 86_400_000);
    insert.run('45.33.32.157', 'suppressed', 'hourly cap of 100 notices reached', 'codered-ii', now, now, null, facts('45.33.32.157'), null, now, now, now, now + 86_400_000);
    db.close();
    await withNotifier({}, async () => {
      const mail = await waitFor(() => smtp.received[0], 10_000, 'the migrated notice sent');
      assert.equal(mail.headers.get('message-id'), '<old-id@example.org>');
      assert.match(mail.body, /GET \/default\.ida\?XXXX/);
      const box = new Outbox(dir.path);
      try {
        // The mail arrives before the row is marked sent: wait for the mark, not just the mail.
        await waitFor(() => box.get(1)?.state === 'sent', 10_000, 'the notice marked sent');
        const rows = box.list({ limit: 5 });
        assert.deepEqual(rows.map((r) => [r.id, r.ip, r.state, r.kind]), [[2, '45.33.32.157', 'suppressed', 'offender'], [1, '45.33.32.156', 'sent', 'offender']]);
        assert.equal(rows[0]!.samples, null);
        assert.equal(box.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
      } finally {
        box.close();
      }
    });
  });

  it('brings v2 to v4: rows keep their ids and states as offender notices, the queued one is sent, and operator mail can be queued beside them', async () => {
    const now = Date.now();
    writeV2(dir.path, now);
    await withNotifier({ operatorEmail: 'ops@example.net' }, async (notifier) => {
      const box = new Outbox(dir.path);
      try {
        assert.equal(box.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
        notifier.notify(exposure('198.51.100.60'));
        await waitFor(() => box.countsByState().sent === 3, 10_000, 'the v2 queued notice and the operator mail sent');
        const rows = box.list({ limit: 10 });
        // 5: the source's own notice, suppressed (a documentation address); the operator mail went all the same.
        assert.deepEqual(rows.map((r) => [r.id, r.kind, r.state, r.path]), [
          [5, 'offender', 'suppressed', null], [4, 'operator', 'sent', '/.env'], [3, 'offender', 'sent', null], [2, 'offender', 'suppressed', null], [1, 'offender', 'sent', null],
        ]);
        assert.equal(rows[2]!.message_id, '<v2-id@example.org>');
        const subjects = smtp.received.map((m) => m.headers.get('subject')).sort();
        assert.deepEqual(subjects, ['[wormwatch] CodeRed II worm from 45.33.32.152', 'wormwatch: /.env was served to 198.51.100.60 (probe-dotenv)']);
      } finally {
        box.close();
      }
    });
  });

  it('brings v3 to v4: operator mail and offender notices keep their ids, kinds and states; the abuse tier can open a digest beside them', () => {
    const now = Date.now();
    writeV2(dir.path, now);
    const db = new Database(join(dir.path, 'outbox.sqlite'));
    db.exec(`ALTER TABLE notices ADD COLUMN kind TEXT NOT NULL DEFAULT 'offender'; ALTER TABLE notices ADD COLUMN path TEXT;
      ALTER TABLE notices ADD COLUMN status INTEGER; ALTER TABLE notices ADD COLUMN recipient TEXT; PRAGMA user_version = 3;`);
    db.prepare(`INSERT INTO notices (ip, state, signature, hits, first_seen, last_seen, samples, message_id, created_at, updated_at, next_attempt_at, deadline_at, kind, path, status, recipient)
      VALUES ('198.51.100.62', 'queued', 'probe-dotenv', 1, ?, ?, '[]', '<op@example.org>', ?, ?, ?, ?, 'operator', '/.env', 200, 'ops@example.net')`).run(now, now, now, now, now, now + 1000);
    db.close();
    const box = new Outbox(dir.path);
    try {
      assert.equal(box.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
      const rows = box.list({ limit: 10 });
      assert.deepEqual(rows.map((r) => [r.id, r.kind, r.state, r.recipient, r.asn, r.hosts]), [
        [4, 'operator', 'queued', 'ops@example.net', null, null], [3, 'offender', 'queued', null, null, null], [2, 'offender', 'suppressed', null, null, null], [1, 'offender', 'sent', null, null, null],
      ]);
      const digest = box.abuse.openNew('abuse@example.net', now, now + 1000, '<d@example.org>');
      assert.equal(box.abuse.openDigest('abuse@example.net')?.id, digest);
    } finally {
      box.close();
    }
  });

  it('opens a v4 outbox that an older wormwatch marked v2 again (the columns and tables are there already), losing nothing', () => {
    const now = Date.now();
    writeV2(dir.path, now);
    const first = new Outbox(dir.path);
    const facts = { ip: '198.51.100.61', signature: { id: 'probe-dotenv', title: 'Hunt for .env', description: 'd', references: [] }, firstSeen: now, lastSeen: now, hits: 1, samples: [] };
    first.insert({ facts, state: 'queued', reason: null, messageId: '<m@example.org>', now, deadline: now + 1000, operator: { path: '/.env', status: 200, recipient: 'ops@example.net' } });
    const digest = first.abuse.openNew('abuse@example.net', now, now + 1000, '<d@example.org>');
    const entry = first.abuse.addPending('45.33.32.170', { hits: 2, firstSeen: now, lastSeen: now, signatures: [], samples: [[now, 'GET /x HTTP/1.0']], network: { asn: null, asOrg: null, country: null } }, now);
    first.abuse.list(entry, digest, 'NET-1 (45.33.32.0/24)', now);
    first.db.pragma('user_version = 2'); // what an older wormwatch's ensureSchema does to a layout it does not know
    first.close();
    const again = new Outbox(dir.path);
    try {
      assert.equal(again.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
      assert.deepEqual(again.list({ limit: 10 }).map((r) => [r.kind, r.state]), [['abuse', 'queued'], ['operator', 'queued'], ['offender', 'queued'], ['offender', 'suppressed'], ['offender', 'sent']]);
      assert.deepEqual(again.abuse.entriesOf(digest, 10).map((e) => [e.ip, e.hits, e.network]), [['45.33.32.170', 2, 'NET-1 (45.33.32.0/24)']]);
    } finally {
      again.close();
    }
  });
});
