import type { Logger } from 'pino';
import type { Outbox } from './outbox.js';
import type { NoticeMetrics } from './metrics.js';
import type { Sender } from './sender.js';
import type { NoticeKind, NoticeRow, RenderedMessage } from './types.js';
import { afterFailure, type SendError } from './backoff.js';
import { SMTP_MAX_CONNECTIONS } from './sender.js';
import type { OperatorMailGate, OperatorMailTurn } from './gate.js';
import { utcDay } from './operator.js';

export interface DeliveryConfig {
  leaseMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** How often due notices and expired leases are looked for. */
  pollMs: number;
  /** The kinds this delivery sends (operator mail goes whatever --notify says; offender notices in smtp mode). */
  kinds: readonly NoticeKind[];
}

export interface DeliveryDeps {
  /** The outbox, or null while it cannot be opened. */
  outbox: () => Outbox | null;
  sender: Sender;
  /** The message of a row, rendered from its facts at send time (the outbox keeps no bodies). */
  render: (row: NoticeRow, outbox: Outbox) => RenderedMessage;
  metrics: NoticeMetrics;
  logger: Logger;
  onWriteError: (err: unknown) => void;
  /** Fleet mode: whose turn it is to send a day's operator mail about a path. */
  operatorMail?: OperatorMailGate;
  /** Fleet mode without `--smtp-url`: an offender notice is handed to the fleet's stream instead of sent. */
  relay?: (row: NoticeRow, outbox: Outbox) => Promise<void>;
}

/** Offender notices leased and handed to nodemailer at once; the pool queues them. */
const CLAIM_MAX = SMTP_MAX_CONNECTIONS * 2;
/** Operator mails in flight at once, on top: offender notices filling their slots never keep one from the SMTP pool. */
const OPERATOR_CLAIM_MAX = 2;
/** Abuse digests in flight at once, on top (a few a day per network, each up to a few MB). */
const ABUSE_CLAIM_MAX = 2;
/** Fleet mode: an operator mail another replica is sending is asked about again this soon (at most the lease). */
const FLEET_WAIT_MS = 2_000;
/** Fleet mode without SMTP: a notice the stream could not take (Redis away) is tried again this often, until --notice-max-age. */
const RELAY_RETRY_MS = 5_000;
/** The reply recorded on a notice handed to the fleet's stream. */
export const RELAYED = "relayed to the fleet's stream: wormwatch mailer sends it";

/**
 * The send loop: lease due notices, hand them to the SMTP pool, record the outcome. At-least-once:
 * the row is marked `sent` only after the server accepted it, so a crash in between re-sends it
 * once the lease runs out.
 */
export class Delivery {
  private readonly inFlight = new Map<number, { kind: NoticeKind; done: Promise<void> }>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private pumping = false;

  constructor(private readonly config: DeliveryConfig, private readonly deps: DeliveryDeps) {}

  start(): void {
    this.timer = setInterval(() => this.pump(), this.config.pollMs);
    this.timer.unref();
    this.pump();
  }

  /** Stops claiming; waits up to `graceMs` for sends in flight (unfinished ones keep their lease). */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((r) => (timer = setTimeout(r, graceMs)));
    await Promise.race([Promise.allSettled([...this.inFlight.values()].map((f) => f.done)), grace]);
    clearTimeout(timer);
    this.deps.sender.close();
  }

  /** Looks for due notices now (called when one becomes ready). */
  pump(): void {
    const box = this.deps.outbox();
    if (this.stopped || this.pumping || box === null) return;
    this.pumping = true;
    try {
      const rows = box.claimDue(Date.now(), this.config.leaseMs, this.free());
      for (const row of rows) {
        if (this.inFlight.has(row.id)) continue; // our own send outlived the lease; let it finish
        const done = this.deliver(box, row).finally(() => {
          this.inFlight.delete(row.id);
          this.pump();
        });
        this.inFlight.set(row.id, { kind: row.kind, done });
      }
    } catch (err) {
      this.deps.onWriteError(err);
    } finally {
      this.pumping = false;
    }
  }

  /** How many of each kind may be claimed now. */
  private free(): Partial<Record<NoticeKind, number>> {
    const max: Record<NoticeKind, number> = { operator: OPERATOR_CLAIM_MAX, offender: CLAIM_MAX, abuse: ABUSE_CLAIM_MAX };
    for (const { kind } of this.inFlight.values()) max[kind]--;
    return Object.fromEntries(this.config.kinds.map((k) => [k, max[k]]));
  }

  private async deliver(box: Outbox, row: NoticeRow): Promise<void> {
    const { metrics } = this.deps;
    if (row.deadline_at !== null && Date.now() > row.deadline_at) {
      // Queued long ago (say in outbox mode, before SMTP was configured): too stale to send now.
      this.record(() => box.markFailed(row.id, 'expired before it could be sent (--notice-max-age)', Date.now()), row.id);
      metrics.count('failed');
      return;
    }
    if (row.kind === 'offender' && this.deps.relay) return this.relay(box, row, this.deps.relay);
    const fleet = row.kind === 'operator' && row.path !== null ? this.deps.operatorMail : undefined;
    const day = utcDay(row.first_seen);
    if (fleet !== undefined && !(await this.fleetTurn(box, row, fleet.take(row.path!, day)))) return;
    const started = process.hrtime.bigint();
    let reply: string | undefined;
    let error: SendError | undefined;
    try {
      reply = await this.deps.sender.send(this.deps.render(row, box));
    } catch (err) {
      error = err as SendError;
    }
    metrics.sendSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    fleet?.done(row.path!, day, error === undefined);
    if (!box.db.open) return; // the outbox was closed (stopping, or replaced after damage); the lease will run out
    const now = Date.now();
    if (error === undefined) {
      this.record(() => box.markSent(row, reply ?? '', now), row.id);
      metrics.count('sent');
      return;
    }
    const next = afterFailure(error, row.attempts, now, row.deadline_at ?? now, { base: this.config.retryBaseMs, max: this.config.retryMaxMs, random: Math.random() });
    if (next.kind === 'retry') {
      this.record(() => box.markRetry(row.id, next.at, next.reason, now), row.id);
      metrics.count('retried');
    } else if (next.kind === 'failed') {
      this.record(() => box.markFailed(row.id, next.reason, now), row.id);
      metrics.count('failed');
      if (row.kind === 'operator') this.deps.logger.error({ notice: row.id, path: row.path, reply: next.reason }, 'operator mail about an exposure failed permanently');
      else this.deps.logger.warn({ notice: row.id, reply: next.reason }, 'notice failed permanently');
    }
  }

  /** Fleet mode without SMTP: the notice goes to the stream (`wormwatch mailer` sends and counts it), or waits for Redis. */
  private async relay(box: Outbox, row: NoticeRow, relay: NonNullable<DeliveryDeps['relay']>): Promise<void> {
    let error: unknown;
    await relay(row, box).catch((err: unknown) => (error = err ?? new Error('relay failed')));
    if (!box.db.open) return;
    const now = Date.now();
    if (error === undefined) return this.record(() => box.markSent(row, RELAYED, now), row.id);
    const reason = `not handed to the fleet's stream: ${(error as Error).message ?? String(error)}`.slice(0, 500);
    const at = now + RELAY_RETRY_MS;
    if (at > (row.deadline_at ?? at)) this.record(() => box.markFailed(row.id, reason, now), row.id);
    else this.record(() => box.markRetry(row.id, at, reason, now), row.id);
  }

  /** Fleet mode: true when this replica sends the day's operator mail now; otherwise the row is settled or put off. */
  private async fleetTurn(box: Outbox, row: NoticeRow, turn: Promise<OperatorMailTurn>): Promise<boolean> {
    const said = await turn;
    if (said === 'send') return true;
    if (!box.db.open) return false;
    const now = Date.now();
    if (said === 'duplicate') this.record(() => box.suppress(row.id, 'fleet-duplicate', now), row.id);
    // Another replica is sending it: asked again shortly (if that attempt fails, this one goes).
    else this.record(() => box.markRetry(row.id, now + Math.min(this.config.leaseMs, FLEET_WAIT_MS), 'another replica is sending this mail', now), row.id);
    return false;
  }

  /** An outcome that cannot be written keeps the lease: the notice is tried again after it runs out. */
  private record(write: () => void, id: number): void {
    try {
      write();
    } catch (err) {
      this.deps.logger.debug({ notice: id }, 'notice outcome not recorded; it will be retried after its lease');
      this.deps.onWriteError(err);
    }
  }
}
