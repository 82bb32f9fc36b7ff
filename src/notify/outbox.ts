import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { NoticeRow, NoticeState } from './types.js';
import { NOTICE_STATES } from './types.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS notices (
  id INTEGER PRIMARY KEY,
  ip TEXT NOT NULL,
  state TEXT NOT NULL,
  reason TEXT,
  signature TEXT NOT NULL,
  hits INTEGER NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  hostname TEXT,
  host_status TEXT,
  facts TEXT NOT NULL,
  message TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  lease_until INTEGER,
  deadline_at INTEGER NOT NULL,
  sent_at INTEGER,
  smtp_reply TEXT
);
CREATE INDEX IF NOT EXISTS notices_ip ON notices(ip, created_at);
CREATE INDEX IF NOT EXISTS notices_state ON notices(state, next_attempt_at);
CREATE INDEX IF NOT EXISTS notices_counted ON notices(created_at) WHERE state != 'suppressed';
CREATE INDEX IF NOT EXISTS notices_lookup ON notices(id) WHERE host_status IS NULL AND state IN ('queued', 'retrying');
CREATE INDEX IF NOT EXISTS notices_created ON notices(created_at);
CREATE TABLE IF NOT EXISTS notice_domains (domain TEXT NOT NULL, at INTEGER NOT NULL, notice_id INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS notice_domains_at ON notice_domains(domain, at);
`;

export interface NewNotice {
  ip: string;
  state: 'queued' | 'suppressed';
  reason: string | null;
  signature: string;
  hits: number;
  firstSeen: number;
  lastSeen: number;
  facts: string;
  message: string | null;
  now: number;
  deadline: number;
}

/**
 * The durable outbox: one SQLite file in WAL mode, so the CLI can read and change it while the
 * server runs (busy_timeout covers the short write locks). `synchronous=NORMAL` in WAL mode
 * survives a process crash (SIGKILL); only an OS crash or power loss may lose the last commits.
 */
export class Outbox {
  readonly db: Database.Database;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(join(dataDir, 'outbox.sqlite'), { timeout: 5000 });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
  }

  private readonly statements = new Map<string, Database.Statement>();

  /** Prepared once per connection: preparing is a large part of a small query's cost. */
  private stmt(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) this.statements.set(sql, (st = this.db.prepare(sql)));
    return st;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** The newest notice for `ip` created at or after `since`, if any. */
  latestFor(ip: string, since: number): Pick<NoticeRow, 'id' | 'state' | 'facts' | 'message' | 'hostname' | 'host_status'> | undefined {
    return this.stmt('SELECT id, state, facts, message, hostname, host_status FROM notices WHERE ip = ? AND created_at >= ? ORDER BY id DESC LIMIT 1')
      .get(ip, since) as never;
  }

  /** Notices (not suppressed) created at or after `since`: the global hourly cap's count. */
  countSince(since: number): number {
    return (this.stmt("SELECT COUNT(*) AS n FROM notices WHERE created_at >= ? AND state != 'suppressed'").get(since) as { n: number }).n;
  }

  domainCounts(domains: readonly string[], since: number): Map<string, number> {
    const stmt = this.stmt('SELECT COUNT(*) AS n FROM notice_domains WHERE domain = ? AND at >= ?');
    return new Map(domains.map((d) => [d, (stmt.get(d, since) as { n: number }).n]));
  }

  insert(n: NewNotice): number {
    const r = this.stmt(`INSERT INTO notices (ip, state, reason, signature, hits, first_seen, last_seen, facts, message, created_at, updated_at, next_attempt_at, deadline_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(n.ip, n.state, n.reason, n.signature, n.hits, n.firstSeen, n.lastSeen, n.facts, n.message, n.now, n.now, n.now, n.deadline);
    return Number(r.lastInsertRowid);
  }

  /** Updates an unsent notice with later hits; false when it is already being sent or done. */
  merge(id: number, hits: number, lastSeen: number, firstSeen: number, facts: string, message: string, now: number): boolean {
    return this.stmt("UPDATE notices SET hits = ?, last_seen = ?, first_seen = ?, facts = ?, message = ?, updated_at = ? WHERE id = ? AND state IN ('queued', 'retrying')")
      .run(hits, lastSeen, firstSeen, facts, message, now, id).changes === 1;
  }

  /** Notices whose reverse lookup has not run (new, or interrupted by a crash). */
  awaitingLookup(limit: number, exclude: readonly number[]): NoticeRow[] {
    const rows = this.stmt("SELECT * FROM notices INDEXED BY notices_lookup WHERE host_status IS NULL AND state IN ('queued', 'retrying') ORDER BY id LIMIT ?")
      .all(limit + exclude.length) as NoticeRow[];
    return rows.filter((r) => !exclude.includes(r.id)).slice(0, limit);
  }

  setHost(id: number, hostname: string | null, status: string, message: string, domains: readonly string[], now: number): boolean {
    const ok = this.stmt("UPDATE notices SET hostname = ?, host_status = ?, message = ?, updated_at = ? WHERE id = ? AND state IN ('queued', 'retrying')")
      .run(hostname, status, message, now, id).changes === 1;
    const add = this.stmt('INSERT INTO notice_domains (domain, at, notice_id) VALUES (?, ?, ?)');
    if (ok) for (const d of domains) add.run(d, now, id);
    return ok;
  }

  suppress(id: number, reason: string, now: number): void {
    this.stmt("UPDATE notices SET state = 'suppressed', reason = ?, updated_at = ? WHERE id = ?").run(reason, now, id);
  }

  /**
   * Takes up to `limit` notices that are due (queued/retrying with the lookup done, or `sending`
   * past its lease after a crash) and leases them: state `sending`, `lease_until = now + lease`.
   */
  claimDue(now: number, leaseMs: number, limit: number): NoticeRow[] {
    return this.stmt(`UPDATE notices SET state = 'sending', lease_until = ?, attempts = attempts + 1, updated_at = ?
        WHERE id IN (SELECT id FROM notices WHERE
          (state IN ('queued', 'retrying') AND next_attempt_at <= ? AND host_status IS NOT NULL)
          OR (state = 'sending' AND lease_until <= ?)
          ORDER BY next_attempt_at, id LIMIT ?)
        RETURNING *`)
      .all(now + leaseMs, now, now, now, limit) as NoticeRow[];
  }

  markSent(id: number, reply: string, now: number): void {
    this.stmt("UPDATE notices SET state = 'sent', sent_at = ?, smtp_reply = ?, reason = NULL, lease_until = NULL, updated_at = ? WHERE id = ?").run(now, reply, now, id);
  }

  markRetry(id: number, at: number, reason: string, now: number): void {
    this.stmt("UPDATE notices SET state = 'retrying', next_attempt_at = ?, reason = ?, lease_until = NULL, updated_at = ? WHERE id = ?").run(at, reason, now, id);
  }

  markFailed(id: number, reply: string, now: number): void {
    this.stmt("UPDATE notices SET state = 'failed', reason = ?, smtp_reply = ?, lease_until = NULL, updated_at = ? WHERE id = ?").run(reply, reply, now, id);
  }

  get(id: number): NoticeRow | undefined {
    return this.stmt('SELECT * FROM notices WHERE id = ?').get(id) as NoticeRow | undefined;
  }

  /** Newest first; `beforeId` pages backwards. */
  list(o: { state?: NoticeState; limit: number; beforeId?: number }): NoticeRow[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (o.state) (where.push('state = ?'), args.push(o.state));
    if (o.beforeId !== undefined) (where.push('id < ?'), args.push(o.beforeId));
    const sql = `SELECT * FROM notices ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    return this.stmt(sql).all(...args, o.limit) as NoticeRow[];
  }

  /** Puts failed (or suppressed) notices back in the queue with a fresh max age. */
  retry(ids: readonly number[] | 'all-failed', now: number, deadline: number): number {
    const set = "SET state = 'queued', next_attempt_at = ?, deadline_at = ?, reason = NULL, updated_at = ?";
    if (ids === 'all-failed') return this.stmt(`UPDATE notices ${set} WHERE state = 'failed'`).run(now, deadline, now).changes;
    const stmt = this.stmt(`UPDATE notices ${set} WHERE id = ? AND state IN ('failed', 'suppressed', 'retrying')`);
    return ids.reduce((n, id) => n + stmt.run(now, deadline, now, id).changes, 0);
  }

  /** Deletes finished notices (sent, failed, suppressed) created before `before`. */
  purge(before: number): number {
    this.stmt('DELETE FROM notice_domains WHERE at < ?').run(before);
    return this.stmt("DELETE FROM notices WHERE created_at < ? AND state IN ('sent', 'failed', 'suppressed')").run(before).changes;
  }

  /** Housekeeping: domain-cap rows older than an hour, suppressed rows older than the interval. */
  trim(now: number, intervalMs: number): void {
    this.stmt('DELETE FROM notice_domains WHERE at < ?').run(now - 3_600_000);
    this.stmt("DELETE FROM notices WHERE state = 'suppressed' AND created_at < ?").run(now - intervalMs);
  }

  countsByState(): Record<NoticeState, number> {
    const out = Object.fromEntries(NOTICE_STATES.map((s) => [s, 0])) as Record<NoticeState, number>;
    for (const r of this.stmt('SELECT state, COUNT(*) AS n FROM notices GROUP BY state').all() as { state: NoticeState; n: number }[]) out[r.state] = r.n;
    return out;
  }
}
