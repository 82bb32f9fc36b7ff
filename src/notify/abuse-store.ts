import type Database from 'better-sqlite3';
import type { NetworkFacts, NoticeRow, SignatureRef } from './types.js';

/** A host of the abuse tier: waiting for its RDAP lookup (`notice_id` NULL) or listed in a digest. */
export interface EntryRow {
  id: number;
  ip: string;
  notice_id: number | null;
  hits: number;
  first_seen: number;
  last_seen: number;
  /** JSON SignatureRef[] (at most MAX_SIGNATURES). */
  signatures: string;
  /** JSON [at, line][] (at most MAX_SAMPLES, sanitised when detected). */
  samples: string;
  asn: number | null;
  as_org: string | null;
  country: string | null;
  /** The RDAP network the abuse contact came from (handle and first CIDR), once listed. */
  network: string | null;
  attempts: number;
  next_lookup_at: number | null;
  last_error: string | null;
  created_at: number;
  listed_at: number | null;
}

/** What an entry says about its host, decoded. */
export interface EntryFacts {
  hits: number;
  firstSeen: number;
  lastSeen: number;
  signatures: SignatureRef[];
  samples: Array<[at: number, line: string]>;
  network: NetworkFacts;
}

/** One host of a digest as the fleet shares it (fleet mode): its address, its RDAP network label, its facts. */
export interface SharedHost {
  ip: string;
  network: string | null;
  facts: EntryFacts;
}

/** The signature of digest rows (`notices.signature` is NOT NULL; a digest has many). */
export const DIGEST_SIGNATURE = 'abuse-digest';

type Stmt = (sql: string) => Database.Statement;

/**
 * The SQL of the abuse tier, on the outbox's connection and its prepared statements. Every
 * method runs inside the caller's transaction when it has one; see outbox-schema.ts for the layout.
 */
export class AbuseStore {
  /** `rows`: told how many rows an insert or delete added (+) or removed (-), for the outbox's row bound. */
  constructor(private readonly stmt: Stmt, private readonly rows: (delta: number) => void = () => {}) {}

  /** When the address's first host-tier notice still in the outbox was written (`--abuse-after` counts from it). */
  firstHostNotice(ip: string): number | undefined {
    const row = this.stmt("SELECT MIN(created_at) AS at FROM notices WHERE ip = ? AND kind = 'offender'").get(ip) as { at: number | null };
    return row.at ?? undefined;
  }

  /** The entry of `ip` that still takes hits: waiting for its lookup, or listed in a digest still open. */
  liveEntry(ip: string): EntryRow | undefined {
    return this.stmt(`SELECT e.* FROM abuse_entries e LEFT JOIN notices n ON n.id = e.notice_id
      WHERE e.ip = ? AND (e.notice_id IS NULL OR (n.kind = 'abuse' AND n.host_status = 'open')) ORDER BY e.id DESC LIMIT 1`).get(ip) as EntryRow | undefined;
  }

  pendingCount(): number {
    return (this.stmt('SELECT COUNT(*) AS n FROM abuse_entries INDEXED BY abuse_entries_due WHERE notice_id IS NULL').get() as { n: number }).n;
  }

  /** Hosts that may not be evicted: waiting for their lookup, or listed in a digest not yet sent or given up. */
  heldEntries(): number {
    return (this.stmt(`SELECT COUNT(*) AS n FROM abuse_entries e LEFT JOIN notices n ON n.id = e.notice_id
      WHERE e.notice_id IS NULL OR n.state IN ('queued', 'retrying', 'sending')`).get() as { n: number }).n;
  }

  /** Hosts held in all (waiting and listed): bounded by `--outbox-max-rows`. */
  entryCount(): number {
    return (this.stmt('SELECT COUNT(*) AS n FROM abuse_entries').get() as { n: number }).n;
  }

  addPending(ip: string, f: EntryFacts, now: number): number {
    const r = this.stmt(`INSERT INTO abuse_entries (ip, hits, first_seen, last_seen, signatures, samples, asn, as_org, country, next_lookup_at, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(ip, f.hits, f.firstSeen, f.lastSeen, JSON.stringify(f.signatures), JSON.stringify(f.samples),
      f.network.asn, f.network.asOrg, f.network.country, now, now);
    this.rows(1);
    return Number(r.lastInsertRowid);
  }

  /** Writes an entry's merged facts; a listed one's digest is re-totalled. */
  update(entry: EntryRow, f: EntryFacts, now: number): void {
    this.stmt('UPDATE abuse_entries SET hits = ?, first_seen = ?, last_seen = ?, signatures = ?, samples = ?, asn = coalesce(asn, ?), as_org = coalesce(as_org, ?), country = coalesce(country, ?) WHERE id = ?')
      .run(f.hits, f.firstSeen, f.lastSeen, JSON.stringify(f.signatures), JSON.stringify(f.samples), f.network.asn, f.network.asOrg, f.network.country, entry.id);
    if (entry.notice_id !== null) this.retotal(entry.notice_id, now);
  }

  get(id: number): EntryRow | undefined {
    return this.stmt('SELECT * FROM abuse_entries WHERE id = ?').get(id) as EntryRow | undefined;
  }

  /** Entries whose lookup is due, oldest first, leaving out those already in flight. */
  dueLookups(now: number, limit: number, exclude: readonly number[]): EntryRow[] {
    const rows = this.stmt('SELECT * FROM abuse_entries INDEXED BY abuse_entries_due WHERE notice_id IS NULL AND next_lookup_at <= ? ORDER BY next_lookup_at, id LIMIT ?')
      .all(now, limit + exclude.length) as EntryRow[];
    return rows.filter((r) => !exclude.includes(r.id)).slice(0, limit);
  }

  /** The soonest time a waiting lookup is due, if any waits. */
  nextLookupAt(): number | undefined {
    const row = this.stmt('SELECT MIN(next_lookup_at) AS at FROM abuse_entries INDEXED BY abuse_entries_due WHERE notice_id IS NULL').get() as { at: number | null };
    return row.at ?? undefined;
  }

  remove(id: number): void {
    this.rows(-this.stmt('DELETE FROM abuse_entries WHERE id = ?').run(id).changes);
  }

  /** A failed lookup: tried again at `at`. */
  reschedule(id: number, at: number, error: string): void {
    this.stmt('UPDATE abuse_entries SET attempts = attempts + 1, next_lookup_at = ?, last_error = ? WHERE id = ?').run(at, error.slice(0, 300), id);
  }

  /** Waiting entries created before `before` (lookups that never succeeded); returns how many went. */
  expirePending(before: number): number {
    const n = this.stmt('DELETE FROM abuse_entries WHERE notice_id IS NULL AND created_at < ?').run(before).changes;
    this.rows(-n);
    return n;
  }

  /** Hosts listed in digests still open, all together (bounded: LISTED_OPEN_MAX). */
  listedOpen(): number {
    return (this.stmt("SELECT coalesce(SUM(hosts), 0) AS n FROM notices INDEXED BY notices_abuse_open WHERE kind = 'abuse' AND host_status = 'open'").get() as { n: number }).n;
  }

  /** The open digest of `mailbox`, if there is one (at most one: the unique index). */
  openDigest(mailbox: string): NoticeRow | undefined {
    return this.stmt("SELECT * FROM notices INDEXED BY notices_abuse_open WHERE kind = 'abuse' AND host_status = 'open' AND recipient = ?").get(mailbox) as NoticeRow | undefined;
  }

  /** Opens a digest for `mailbox`, due at `dueAt`; its Message-ID is fixed now, for every retry. */
  openNew(mailbox: string, now: number, dueAt: number, messageId: string): number {
    const r = this.stmt(`INSERT INTO notices (ip, state, signature, hits, first_seen, last_seen, host_status, message_id, created_at, updated_at,
        next_attempt_at, kind, recipient, hosts, unlisted) VALUES ('', 'queued', ?, 0, ?, ?, 'open', ?, ?, ?, ?, 'abuse', ?, 0, 0)`)
      .run(DIGEST_SIGNATURE, now, now, messageId, now, now, dueAt, mailbox);
    this.rows(1);
    return Number(r.lastInsertRowid);
  }

  /** The entry of `ip` already listed in `digest`, if there is one. */
  listedIn(digest: number, ip: string): EntryRow | undefined {
    return this.stmt('SELECT * FROM abuse_entries WHERE notice_id = ? AND ip = ?').get(digest, ip) as EntryRow | undefined;
  }

  /** Puts a waiting entry on a digest. */
  list(entryId: number, digest: number, network: string | null, now: number): void {
    this.stmt('UPDATE abuse_entries SET notice_id = ?, network = ?, listed_at = ?, next_lookup_at = NULL, last_error = NULL WHERE id = ?').run(digest, network, now, entryId);
    this.retotal(digest, now);
  }

  /** One more host seen behind a full digest, not listed. */
  countUnlisted(digest: number, now: number): void {
    this.stmt('UPDATE notices SET unlisted = unlisted + 1, updated_at = ? WHERE id = ?').run(now, digest);
  }

  /** Digests still open whose interval is over, oldest first. */
  dueDigests(now: number, limit: number): NoticeRow[] {
    return this.stmt("SELECT * FROM notices WHERE kind = 'abuse' AND state = 'queued' AND host_status = 'open' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?")
      .all(now, limit) as NoticeRow[];
  }

  /**
   * Closes a digest: ready to send from `now` (its Date and the hourly cap's count start here),
   * until `deadline`; its recipient domain is counted for the per-domain cap.
   */
  close(id: number, domain: string, now: number, deadline: number): void {
    this.stmt("UPDATE notices SET host_status = 'closed', created_at = ?, next_attempt_at = ?, deadline_at = ?, updated_at = ? WHERE id = ?").run(now, now, deadline, now, id);
    this.stmt('INSERT INTO notice_domains (domain, at, notice_id) VALUES (?, ?, ?)').run(domain, now, id);
  }

  /** Closes a digest as suppressed by a cap (its hosts stay, for `notices show`, until the row goes). */
  suppress(id: number, reason: string, now: number): void {
    this.stmt("UPDATE notices SET host_status = 'closed', state = 'suppressed', reason = ?, message_id = NULL, next_attempt_at = NULL, created_at = ?, updated_at = ? WHERE id = ?").run(reason, now, now, id);
  }

  /** The hosts of a digest, in the order they joined it. */
  entriesOf(digest: number, limit: number): EntryRow[] {
    return this.stmt('SELECT * FROM abuse_entries WHERE notice_id = ? ORDER BY id LIMIT ?').all(digest, limit) as EntryRow[];
  }

  /** A waiting entry is filed later (its mailbox's digest is being settled by the fleet), not counted as a failed lookup. */
  defer(id: number, at: number): void {
    this.stmt('UPDATE abuse_entries SET next_lookup_at = ? WHERE id = ? AND notice_id IS NULL').run(at, id);
  }

  /**
   * Fleet mode, on the replica that sends the fleet's digest: its hosts become the fleet's (each
   * listed once, facts merged across replicas; at most DIGEST_MAX_HOSTS, the fleet's copy is
   * bounded so), and `unlisted` the fleet's count of hosts it had no room for.
   */
  replaceHosts(digest: number, hosts: readonly SharedHost[], unlisted: number, now: number): void {
    this.rows(-this.stmt('DELETE FROM abuse_entries WHERE notice_id = ?').run(digest).changes);
    const insert = this.stmt(`INSERT INTO abuse_entries (ip, notice_id, hits, first_seen, last_seen, signatures, samples, asn, as_org, country, network, created_at, listed_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    for (const { ip, network, facts: f } of hosts) {
      insert.run(ip, digest, f.hits, f.firstSeen, f.lastSeen, JSON.stringify(f.signatures), JSON.stringify(f.samples), f.network.asn, f.network.asOrg, f.network.country, network, now, now);
    }
    this.rows(hosts.length);
    this.stmt('UPDATE notices SET unlisted = ? WHERE id = ?').run(unlisted, digest);
    this.retotal(digest, now);
  }

  /** A digest's totals, from its entries (at most DIGEST_MAX_HOSTS of them). */
  private retotal(digest: number, now: number): void {
    this.stmt(`UPDATE notices SET (hits, first_seen, last_seen, hosts) = (SELECT coalesce(SUM(hits), 0), coalesce(MIN(first_seen), ?), coalesce(MAX(last_seen), ?), COUNT(*)
        FROM abuse_entries WHERE notice_id = ?), updated_at = ? WHERE id = ?`).run(now, now, digest, now, digest);
  }
}
