import type { Logger } from 'pino';
import { diagnose, isCorrupt, onceEvery } from '../storage/disk.js';
import { openOutbox } from './disk.js';
import type { Outbox } from './outbox.js';
import { DISK_RETRY_MS } from './queue.js';

/**
 * The outbox and the state of its disk. It never stops the proxy: a directory that cannot be
 * opened is tried again every DISK_RETRY_MS, a damaged file is moved aside, and write failures
 * are logged at most once a minute with the real cause (ENOSPC, EROFS, EACCES) and the path.
 */
export class OutboxHolder {
  current: Outbox | null = null;
  #writable = false;
  #reopen: NodeJS.Timeout | undefined;
  readonly #report: ReturnType<typeof onceEvery>;

  constructor(private readonly dataDir: string, private readonly logger: Logger) {
    this.#report = onceEvery(logger);
  }

  get up(): boolean {
    return this.current !== null && this.#writable;
  }

  open(): void {
    clearTimeout(this.#reopen);
    this.#reopen = undefined;
    try {
      this.current = openOutbox(this.dataDir, this.logger);
      this.succeeded();
    } catch (err) {
      this.current = null;
      this.#writable = false;
      this.#report(diagnose(err, this.dataDir), 'cannot open the notice outbox in --data-dir; detections wait in memory until it can be');
      this.#reopen = setTimeout(() => this.open(), DISK_RETRY_MS);
      this.#reopen.unref();
    }
  }

  failed(err: unknown): void {
    if (isCorrupt(err) && this.current !== null) {
      // Damaged while running: closed, moved aside and replaced by a fresh file.
      this.current.close();
      this.current = null;
      this.open();
      return;
    }
    this.#writable = false;
    this.#report(diagnose(err, this.dataDir), 'notice outbox write failed; detections wait in memory until the disk recovers');
  }

  succeeded(): void {
    if (!this.#writable && this.current !== null) this.logger.info({ path: this.current.path }, 'notice outbox is writable');
    this.#writable = true;
  }

  counts(): ReturnType<Outbox['countsByState']> | null {
    try {
      return this.current?.db.open ? this.current.countsByState() : null;
    } catch {
      return null;
    }
  }

  /** The queue by state and the next retry, or null while the outbox cannot be read. */
  status(): { counts: Record<string, number>; nextRetryAt: Date | null } | null {
    try {
      if (!this.current?.db.open) return null;
      const next = this.current.nextRetryAt();
      return { counts: this.current.countsByState(), nextRetryAt: next === null ? null : new Date(next) };
    } catch {
      return null;
    }
  }

  housekeep(intervalMs: number): void {
    try {
      this.current?.trim(Date.now(), intervalMs);
      this.current?.recount();
    } catch (err) {
      this.failed(err);
    }
  }

  close(): void {
    clearTimeout(this.#reopen);
    this.current?.close();
  }
}
