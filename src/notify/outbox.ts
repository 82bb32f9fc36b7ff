import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ensureSchema } from './outbox-schema.js';
import { AbuseStore } from './abuse-store.js';
import type { NoticeFacts, NoticeKind, NoticeRow, NoticeState, SignatureSnapshot } from './types.js';
import { NOTICE_STATES } from './types.js';

export const OUTBOX_FILE = 'outbox.sqlite';

export interface NewNotice {
  facts: NoticeFacts;
  state: 'queued' | 'suppressed';
  reason: string | null;
  /** Message-ID of a queued notice (kept across retries); null when suppressed. */
  messageId: string | null;
  now: number;
  /** When a queued notice gives up (`--notice-max-age`); null when suppressed. */
  deadline: number | null;
  /** Operator mail: what was exposed and who is told; absent for an offender notice. */
  operator?: { path: string; status: number; recipient: string };
}

/**
 * Leases the due rows of one kind (parameters: lease end, now ×3, limit). `ready`: when a queued
 * or retrying row may go; an offender notice waits for its reverse lookup, operator mail never.
 */
const claimSql = (index: string, kind: NoticeKind, ready: string): string => `UPDATE notices SET state = 'sending', lease_until = ?, attempts = attempts + 1, updated_at = ?
    WHERE id IN (SELECT id FROM notices INDEXED BY ${index} WHERE state IN ('queued', 'retrying', 'sending') AND kind = '${kind}' AND next_attempt_at <= ?
      AND ((state != 'sending' AND ${ready}) OR (state = 'sending' AND lease_until <= ?))
      ORDER BY next_attempt_at, id LIMIT ?)
    RETURNING *`;

/** In this order: operator mail goes first when several kinds are due; a digest only once closed. */
const CLAIMS: ReadonlyArray<[NoticeKind, string]> = [
  ['operator', claimSql('notices_operator_due', 'operator', 'TRUE')],
  ['offender', claimSql('notices_due', 'offender', 'host_status IS NOT NULL')],
  ['abuse', claimSql('notices_abuse_due', 'abuse', "host_status = 'closed'")],
];

export type LatestNotice = Pick<NoticeRow, 'id' | 'state' | 'hits' | 'first_seen' | 'last_seen' | 'samples'>;

/**
 * The durable outbox: one SQLite file in WAL mode, so the CLI can read and change it while the
 * server runs (busy_timeout covers the short write locks). `synchronous=NORMAL` in WAL mode
 * survives a process crash (SIGKILL); only an OS crash or power loss may lose the last commits.
 * Opening checks the file (`quick_check`): a damaged one throws, for `openOutbox` to move aside.
 */
export class Outbox {
  readonly db: Database.Database;
  readonly path: string;
  /** The abuse tier's digests and their hosts. */
  readonly abuse: AbuseStore;
  readonly #statements = new Map<string, Database.Statement>();
  /** Rows held, kept by this connection's own inserts and deletes; `recount()` re-reads it. */
  #rows = -1;

  constructor(readonly dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.path = join(dataDir, OUTBOX_FILE);
    this.db = new Database(this.path, { timeout: 5000 });
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      // The WAL file is truncated back to 4 MiB after a checkpoint, so it cannot outgrow the bound.
      this.db.pragma('journal_size_limit = 4194304');
      const check = this.db.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw Object.assign(new Error(`outbox check failed: ${String(check)}`), { code: 'SQLITE_CORRUPT' });
      ensureSchema(this.db);
    } catch (err) {
      this.db.close();
      throw err;
    }
    this.abuse = new AbuseStore((sql) => this.stmt(sql), (delta) => void (this.#rows >= 0 && (this.#rows = Math.max(0, this.#rows + delta))));
  }

  /** Prepared once per connection: preparing is a large part of a small query's cost. */
  private stmt(sql: string): Database.Statement {
    let st = this.#statements.get(sql);
    if (!st) this.#statements.set(sql, (st = this.db.prepare(sql)));
    return st;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** The newest offender notice for `ip` created at or after `since`, if any. */
  latestFor(ip: string, since: number): LatestNotice | undefined {
    return this.stmt("SELECT id, state, hits, first_seen, last_seen, samples FROM notices WHERE ip = ? AND created_at >= ? AND kind = 'offender' ORDER BY id DESC LIMIT 1")
      .get(ip, since) as LatestNotice | undefined;
  }

  /** Offender notices and closed digests (not suppressed) created at or after `since`: the global hourly cap's count. */
  countSince(since: number): number {
    return (this.stmt("SELECT COUNT(*) AS n FROM notices WHERE created_at >= ? AND state != 'suppressed' AND (kind = 'offender' OR (kind = 'abuse' AND host_status = 'closed'))").get(since) as { n: number }).n;
  }

  /** The operator mail about `path` whose exposure was first seen in [from, to), if any. */
  operatorMailFor(path: string, from: number, to: number): LatestNotice | undefined {
    return this.stmt("SELECT id, state, hits, first_seen, last_seen, samples FROM notices INDEXED BY notices_operator WHERE kind = 'operator' AND first_seen >= ? AND first_seen < ? AND path = ? LIMIT 1")
      .get(from, to, path) as LatestNotice | undefined;
  }

  /** Operator mails about exposures first seen in [from, to): the daily bound's count. */
  operatorMailsIn(from: number, to: number): number {
    return (this.stmt("SELECT COUNT(*) AS n FROM notices INDEXED BY notices_operator WHERE kind = 'operator' AND first_seen >= ? AND first_seen < ?").get(from, to) as { n: number }).n;
  }

  domainCounts(domains: readonly string[], since: number): Map<string, number> {
    const stmt = this.stmt('SELECT COUNT(*) AS n FROM notice_domains WHERE domain = ? AND at >= ?');
    return new Map(domains.map((d) => [d, (stmt.get(d, since) as { n: number }).n]));
  }

  /** The stored id of this version of a signature's texts. */
  textId(s: SignatureSnapshot): number {
    const refs = JSON.stringify(s.references);
    this.stmt('INSERT OR IGNORE INTO signature_texts (signature, title, description, refs) VALUES (?, ?, ?, ?)').run(s.id, s.title, s.description, refs);
    return (this.stmt('SELECT id FROM signature_texts WHERE signature = ? AND title = ? AND description = ? AND refs = ?').get(s.id, s.title, s.description, refs) as { id: number }).id;
  }

  text(id: number | null, signature: string): SignatureSnapshot {
    const row = id === null ? undefined : (this.stmt('SELECT title, description, refs FROM signature_texts WHERE id = ?').get(id) as { title: string; description: string; refs: string } | undefined);
    if (!row) return { id: signature, title: signature, description: '', references: [] };
    return { id: signature, title: row.title, description: row.description, references: JSON.parse(row.refs) as string[] };
  }

  insert(n: NewNotice): number {
    const f = n.facts;
    const queued = n.state === 'queued';
    const o = n.operator;
    const net = f.network;
    const r = this.stmt(`INSERT INTO notices (ip, state, reason, signature, text_id, hits, first_seen, last_seen, samples, message_id, created_at, updated_at,
        next_attempt_at, deadline_at, kind, path, status, recipient, asn, as_org, country) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(f.ip, n.state, n.reason, f.signature.id, queued ? this.textId(f.signature) : null, f.hits, f.firstSeen, f.lastSeen,
        queued ? JSON.stringify(f.samples) : null, n.messageId, n.now, n.now, queued ? n.now : null, n.deadline,
        o ? 'operator' : 'offender', o?.path ?? null, o?.status ?? null, o?.recipient ?? null, net?.asn ?? null, net?.asOrg ?? null, net?.country ?? null);
    if (this.#rows >= 0) this.#rows++;
    return Number(r.lastInsertRowid);
  }

  /** Adds later hits to a notice; its samples only while it may still be sent. */
  merge(id: number, hits: number, firstSeen: number, lastSeen: number, samples: string[] | null, now: number): void {
    this.stmt('UPDATE notices SET hits = ?, first_seen = ?, last_seen = ?, samples = coalesce(?, samples), updated_at = ? WHERE id = ?')
      .run(hits, firstSeen, lastSeen, samples === null ? null : JSON.stringify(samples), now, id);
  }

  /** Offender notices whose reverse lookup has not run (new, or interrupted by a crash); operator mail has none. */
  awaitingLookup(limit: number, exclude: readonly number[]): NoticeRow[] {
    const rows = this.stmt("SELECT * FROM notices INDEXED BY notices_lookup WHERE host_status IS NULL AND state IN ('queued', 'retrying') AND kind = 'offender' ORDER BY id LIMIT ?")
      .all(limit + exclude.length) as NoticeRow[];
    return rows.filter((r) => !exclude.includes(r.id)).slice(0, limit);
  }

  setHost(id: number, hostname: string | null, status: string, domains: readonly string[], now: number): boolean {
    const ok = this.stmt("UPDATE notices SET hostname = ?, host_status = ?, updated_at = ? WHERE id = ? AND state IN ('queued', 'retrying')")
      .run(hostname, status, now, id).changes === 1;
    const add = this.stmt('INSERT INTO notice_domains (domain, at, notice_id) VALUES (?, ?, ?)');
    if (ok) for (const d of domains) add.run(d, now, id);
    return ok;
  }

  /** A queued notice becomes suppressed: only its facts stay. */
  suppress(id: number, reason: string, now: number): void {
    this.stmt("UPDATE notices SET state = 'suppressed', reason = ?, samples = NULL, message_id = NULL, next_attempt_at = NULL, deadline_at = NULL, updated_at = ? WHERE id = ?").run(reason, now, id);
  }

  /**
   * Takes up to `limits[kind]` notices of each kind that are due (queued/retrying and ready, or
   * `sending` past its lease after a crash) and leases them: state `sending`, `lease_until = now +
   * lease`. Operator mail first; a kind without a limit is not taken.
   */
  claimDue(now: number, leaseMs: number, limits: Partial<Record<NoticeKind, number>>): NoticeRow[] {
    const rows: NoticeRow[] = [];
    for (const [kind, sql] of CLAIMS) {
      const limit = limits[kind] ?? 0;
      if (limit > 0) rows.push(...(this.stmt(sql).all(now + leaseMs, now, now, now, limit) as NoticeRow[]));
    }
    return rows;
  }

  /** `sent`: the row as claimed, which the mail was written from (operator mail gains hits while in flight). */
  markSent(sent: Pick<NoticeRow, 'id' | 'hits' | 'first_seen' | 'last_seen' | 'samples'>, reply: string, now: number): void {
    this.stmt("UPDATE notices SET state = 'sent', sent_at = ?, smtp_reply = ?, reason = NULL, lease_until = NULL, next_attempt_at = NULL, hits = ?, first_seen = ?, last_seen = ?, samples = ?, updated_at = ? WHERE id = ?")
      .run(now, reply, sent.hits, sent.first_seen, sent.last_seen, sent.samples, now, sent.id);
  }

  markRetry(id: number, at: number, reason: string, now: number): void {
    this.stmt("UPDATE notices SET state = 'retrying', next_attempt_at = ?, reason = ?, lease_until = NULL, updated_at = ? WHERE id = ?").run(at, reason, now, id);
  }

  markFailed(id: number, reply: string, now: number): void {
    this.stmt("UPDATE notices SET state = 'failed', reason = ?, smtp_reply = ?, lease_until = NULL, next_attempt_at = NULL, updated_at = ? WHERE id = ?").run(reply, reply, now, id);
  }

  get(id: number): NoticeRow | undefined {
    return this.stmt('SELECT * FROM notices WHERE id = ?').get(id) as NoticeRow | undefined;
  }

  /** Newest first; `beforeId` pages backwards. */
  list(o: { state?: NoticeState | undefined; kind?: NoticeKind | undefined; limit: number; beforeId?: number }): NoticeRow[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (o.state) (where.push('state = ?'), args.push(o.state));
    if (o.kind) (where.push('kind = ?'), args.push(o.kind));
    if (o.beforeId !== undefined) (where.push('id < ?'), args.push(o.beforeId));
    const sql = `SELECT * FROM notices ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    return this.stmt(sql).all(...args, o.limit) as NoticeRow[];
  }

  /** Puts failed notices back in the queue with a fresh max age (a suppressed one has no samples left to send). */
  retry(ids: readonly number[] | 'all-failed', now: number, deadline: number): number {
    const set = "SET state = 'queued', next_attempt_at = ?, deadline_at = ?, reason = NULL, updated_at = ?";
    if (ids === 'all-failed') return this.stmt(`UPDATE notices ${set} WHERE state = 'failed'`).run(now, deadline, now).changes;
    const stmt = this.stmt(`UPDATE notices ${set} WHERE id = ? AND state IN ('failed', 'retrying')`);
    return ids.reduce((n, id) => n + stmt.run(now, deadline, now, id).changes, 0);
  }

  /** Deletes finished notices (sent, failed, suppressed) created before `before`. */
  purge(before: number): number {
    this.stmt('DELETE FROM notice_domains WHERE at < ?').run(before);
    return this.#deleted(this.stmt("DELETE FROM notices WHERE created_at < ? AND state IN ('sent', 'failed', 'suppressed')").run(before).changes);
  }

  /** Housekeeping: domain-cap rows older than an hour, suppressed rows older than the interval. */
  trim(now: number, intervalMs: number): number {
    this.stmt('DELETE FROM notice_domains WHERE at < ?').run(now - 3_600_000);
    return this.#deleted(this.stmt("DELETE FROM notices WHERE state = 'suppressed' AND created_at < ?").run(now - intervalMs).changes);
  }

  /** Rows in the outbox, notices and digest hosts, counted now (a full count: for start-up, housekeeping and readers). */
  rowCount(): number {
    return (this.stmt('SELECT (SELECT COUNT(*) FROM notices) + (SELECT COUNT(*) FROM abuse_entries) AS n').get() as { n: number }).n;
  }

  /** Rows in the outbox as this connection's own writes left them: cheap, for the row cap on every batch. */
  heldRows(): number {
    if (this.#rows < 0) this.recount();
    return this.#rows;
  }

  /** Counts the rows afresh (housekeeping: another process, the CLI, may have purged some). */
  recount(): void {
    this.#rows = this.rowCount();
  }

  /** After a rolled-back transaction: counted again when next asked. */
  forgetRowCount(): void {
    this.#rows = -1;
  }

  #deleted(n: number): number {
    if (this.#rows >= 0) this.#rows = Math.max(0, this.#rows - n);
    return n;
  }

  /** Notices that may still be sent (queued, retrying, sending): these are never evicted. */
  activeCount(): number {
    return (this.stmt("SELECT COUNT(*) AS n FROM notices INDEXED BY notices_due WHERE state IN ('queued', 'retrying', 'sending')").get() as { n: number }).n;
  }

  /**
   * Deletes up to `n` of the oldest finished rows: offender notices and digests sent and
   * suppressed first, then failed ones, and operator mail last (a few a day, and the record of a
   * leak). A digest's hosts go with it (the trigger).
   */
  evict(n: number): number {
    // The first term is the partial index's own condition, so SQLite may use it (it cannot prove a subset implies it).
    const pick = "SELECT id, kind, coalesce(hosts, 0) AS hosts FROM notices INDEXED BY notices_finished WHERE state IN ('sent', 'suppressed', 'failed') AND % ORDER BY id LIMIT ?";
    const remove = this.stmt('DELETE FROM notices WHERE id = ?');
    let done = 0;
    for (const which of ["kind != 'operator' AND state != 'failed'", "kind != 'operator' AND state = 'failed'", "kind = 'operator'"]) {
      // Each row weighs 1, a digest 1 + its hosts: at most n - done rows are needed.
      for (const r of this.stmt(pick.replace('%', which)).all(n - done) as { id: number; kind: NoticeKind; hosts: number }[]) {
        if (done >= n) break;
        remove.run(r.id);
        done += 1 + (r.kind === 'abuse' ? r.hosts : 0);
      }
      if (done >= n) break;
    }
    return this.#deleted(done);
  }

  countsByState(): Record<NoticeState, number> {
    const out = Object.fromEntries(NOTICE_STATES.map((s) => [s, 0])) as Record<NoticeState, number>;
    for (const r of this.stmt('SELECT state, COUNT(*) AS n FROM notices GROUP BY state').all() as { state: NoticeState; n: number }[]) out[r.state] = r.n;
    return out;
  }

  /** When the next notice waiting for a retry is due (epoch ms), or null: the admin page shows it. */
  nextRetryAt(): number | null {
    const row = this.stmt("SELECT MIN(next_attempt_at) AS at FROM notices WHERE state = 'retrying'").get() as { at: number | null } | undefined;
    return row?.at ?? null;
  }
}
