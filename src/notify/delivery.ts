import type { Logger } from 'pino';
import type { Outbox } from './outbox.js';
import type { NoticeMetrics } from './metrics.js';
import type { Sender } from './sender.js';
import type { NoticeRow, RenderedMessage } from './types.js';
import { afterFailure, type SendError } from './backoff.js';
import { SMTP_MAX_CONNECTIONS } from './sender.js';

export interface DeliveryConfig {
  leaseMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** How often due notices and expired leases are looked for. */
  pollMs: number;
}

/** Notices leased and handed to nodemailer at once; the pool queues them. */
const CLAIM_MAX = SMTP_MAX_CONNECTIONS * 2;

/**
 * The send loop: lease due notices, hand them to the SMTP pool, record the outcome. At-least-once:
 * the row is marked `sent` only after the server accepted it, so a crash in between re-sends it
 * once the lease runs out.
 */
export class Delivery {
  private readonly inFlight = new Map<number, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private pumping = false;

  constructor(private readonly outbox: Outbox, private readonly sender: Sender, private readonly c: DeliveryConfig, private readonly metrics: NoticeMetrics, private readonly logger: Logger) {}

  start(): void {
    this.timer = setInterval(() => this.pump(), this.c.pollMs);
    this.timer.unref();
    this.pump();
  }

  /** Stops claiming; waits up to `graceMs` for sends in flight (unfinished ones keep their lease). */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((r) => (timer = setTimeout(r, graceMs)));
    await Promise.race([Promise.allSettled([...this.inFlight.values()]), grace]);
    clearTimeout(timer);
    this.sender.close();
  }

  /** Looks for due notices now (called when one becomes ready). */
  pump(): void {
    if (this.stopped || this.pumping) return;
    this.pumping = true;
    try {
      const free = CLAIM_MAX - this.inFlight.size;
      const rows = free > 0 ? this.outbox.claimDue(Date.now(), this.c.leaseMs, free) : [];
      for (const row of rows) {
        if (this.inFlight.has(row.id)) continue; // our own send outlived the lease; let it finish
        const p = this.deliver(row).finally(() => {
          this.inFlight.delete(row.id);
          this.pump();
        });
        this.inFlight.set(row.id, p);
      }
    } catch (err) {
      this.logger.error({ err }, 'notice outbox claim failed');
    } finally {
      this.pumping = false;
    }
  }

  private async deliver(row: NoticeRow): Promise<void> {
    if (Date.now() > row.deadline_at) {
      // Queued long ago (say in outbox mode, before SMTP was configured): too stale to send now.
      this.outbox.markFailed(row.id, 'expired before it could be sent (--notice-max-age)', Date.now());
      this.metrics.count('failed');
      return;
    }
    const started = process.hrtime.bigint();
    let reply: string | undefined;
    let error: SendError | undefined;
    try {
      reply = await this.sender.send(JSON.parse(row.message ?? 'null') as RenderedMessage);
    } catch (err) {
      error = err as SendError;
    }
    this.metrics.sendSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    if (this.stopped && !this.outbox.db.open) return;
    const now = Date.now();
    try {
      if (error === undefined) {
        this.outbox.markSent(row.id, reply ?? '', now);
        this.metrics.count('sent');
        return;
      }
      const next = afterFailure(error, row.attempts, now, row.deadline_at, { base: this.c.retryBaseMs, max: this.c.retryMaxMs, random: Math.random() });
      if (next.kind === 'retry') {
        this.outbox.markRetry(row.id, next.at, next.reason, now);
        this.metrics.count('retried');
      } else if (next.kind === 'failed') {
        this.outbox.markFailed(row.id, next.reason, now);
        this.metrics.count('failed');
        this.logger.warn({ notice: row.id, reply: next.reason }, 'notice failed permanently');
      }
    } catch (err) {
      this.logger.error({ err, notice: row.id }, 'notice outcome not recorded; it will be retried after its lease');
    }
  }
}
