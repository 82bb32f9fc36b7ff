import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from '../log.js';
import { diagnose, isCorrupt, moveAside, onceEvery } from '../storage/disk.js';
import { BAN_REASONS, type Ban, type BanReason } from './table.js';

export const BANS_FILE = 'bans.sqlite';

/** A failed write is tried again this often; what it held waits in memory meanwhile. */
export const BAN_WRITE_RETRY_MS = 5_000;
/** Changes are written in one transaction at most this long after they happen. */
export const BAN_FLUSH_MS = 1_000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS bans (
  key TEXT PRIMARY KEY,
  since INTEGER NOT NULL,
  until INTEGER NOT NULL,
  count INTEGER NOT NULL,
  reason TEXT NOT NULL,
  signature TEXT
) WITHOUT ROWID;
`;

/**
 * `bans.sqlite` beside the outbox in `--data-dir`: the bans, so they survive a restart. The
 * request path never waits on it: changes are kept in memory and written once a second in one
 * transaction. A disk that refuses (full, read-only) or a damaged file never stops the proxy:
 * the bans stay in force from memory, the failure is logged once a minute with its real cause,
 * and the write is tried again every BAN_WRITE_RETRY_MS. Changes waiting are bounded by
 * `maxPending` (twice --ban-max); past it the whole table is rewritten once the disk is back.
 */
export class BanFile {
  readonly path: string;
  #db: Database.Database | null = null;
  readonly #pending = new Map<string, Ban | null>();
  #resync = false;
  #up = true;
  #timer: NodeJS.Timeout | undefined;
  readonly #report: ReturnType<typeof onceEvery>;

  constructor(
    private readonly dataDir: string,
    private readonly logger: Logger,
    private readonly maxPending: number,
    /** Every ban held now, for a full rewrite after the pending changes overflowed. */
    private readonly all: () => Iterable<Ban>,
  ) {
    this.path = join(dataDir, BANS_FILE);
    this.#report = onceEvery(logger);
  }

  /** False while the last write failed. */
  get up(): boolean {
    return this.#up;
  }

  /** The bans kept, when the file exists; a damaged file is moved aside and nothing is loaded. */
  load(): Ban[] {
    if (!existsSync(this.path)) return [];
    try {
      const rows = this.#open().prepare('SELECT key, since, until, count, reason, signature FROM bans').all() as Ban[];
      return rows.filter((r) => typeof r.key === 'string' && Number.isFinite(r.until) && BAN_REASONS.includes(r.reason as BanReason));
    } catch (err) {
      this.#failed(err);
      return [];
    }
  }

  /** Records a change (a ban put, or a key deleted) to be written with the next flush. */
  change(key: string, ban: Ban | null): void {
    if (this.#resync) return;
    this.#pending.set(key, ban);
    if (this.#pending.size > this.maxPending) {
      this.#pending.clear();
      this.#resync = true;
    }
    this.#schedule(BAN_FLUSH_MS);
  }

  /** Writes what is pending now; true when nothing is left to write. */
  flush(): boolean {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.size === 0 && !this.#resync) return true;
    try {
      const db = this.#open();
      const put = db.prepare('INSERT OR REPLACE INTO bans (key, since, until, count, reason, signature) VALUES (@key, @since, @until, @count, @reason, @signature)');
      const del = db.prepare('DELETE FROM bans WHERE key = ?');
      db.transaction(() => {
        if (this.#resync) {
          db.exec('DELETE FROM bans');
          for (const ban of this.all()) put.run(ban);
        } else {
          for (const [key, ban] of this.#pending) ban === null ? del.run(key) : put.run(ban);
        }
      })();
      this.#pending.clear();
      this.#resync = false;
      if (!this.#up) this.logger.info({ path: this.path }, 'ban file is writable again');
      this.#up = true;
      return true;
    } catch (err) {
      this.#failed(err);
      this.#schedule(BAN_WRITE_RETRY_MS);
      return false;
    }
  }

  close(): void {
    this.flush();
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#db?.close();
    this.#db = null;
  }

  #open(): Database.Database {
    if (this.#db !== null) return this.#db;
    mkdirSync(this.dataDir, { recursive: true });
    const db = new Database(this.path, { timeout: 5000 });
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('journal_size_limit = 4194304');
      const check = db.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw Object.assign(new Error(`ban file check failed: ${String(check)}`), { code: 'SQLITE_CORRUPT' });
      db.exec(SCHEMA);
    } catch (err) {
      db.close();
      throw err;
    }
    this.#db = db;
    return db;
  }

  #failed(err: unknown): void {
    this.#up = false;
    if (isCorrupt(err)) {
      this.#db?.close();
      this.#db = null;
      const movedTo = moveAside(this.path);
      this.logger.error({ path: this.path, movedTo, err: (err as Error).message }, 'ban file is damaged; moved it aside, the bans in memory will be written to a fresh one');
      // Everything in memory goes to the fresh file.
      this.#pending.clear();
      this.#resync = true;
      return;
    }
    this.#report(diagnose(err, this.dataDir), 'ban file write failed; bans stay in force from memory until the disk recovers');
  }

  #schedule(ms: number): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => this.flush(), ms);
    this.#timer.unref();
  }
}
