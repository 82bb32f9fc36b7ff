import type { Logger } from 'pino';
import type { Outbox } from './outbox.js';
import type { NoticeMetrics } from './metrics.js';
import { admitExposure, type ExposureFacts, type OperatorHandoff, type OperatorOutcome } from './operator.js';

/** How often an exposure held while its mail is being sent is decided again. */
export const IN_FLIGHT_RETRY_MS = 200;

export interface OperatorIntakeDeps {
  metrics: NoticeMetrics;
  logger: Logger;
  /** A new mail is ready: wake the delivery pump. */
  onReady: () => void;
  /** Held exposures are back in the hand-off: drain it. */
  onReleased: () => void;
  now: () => number;
  maxAgeMs: number;
  messageId: () => string;
}

/**
 * Operator mail inside the notice queue's batches: decides each exposure in the batch's
 * transaction, records the outcomes once it committed, and holds an exposure whose mail is being
 * sent until that attempt ended (a failed attempt's retry must count it).
 */
export class OperatorIntake {
  private heldTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(readonly handoff: OperatorHandoff, private readonly recipient: string, private readonly deps: OperatorIntakeDeps) {}

  /** Inside the caller's transaction. */
  decide(box: Outbox, facts: ExposureFacts): OperatorOutcome {
    return admitExposure(box, facts, this.deps.now(), { recipient: this.recipient, maxAgeMs: this.deps.maxAgeMs, messageId: this.deps.messageId });
  }

  /** After the commit: counts, log lines, held exposures, and the delivery pump woken at once for a new mail. */
  record(decided: ReadonlyArray<{ outcome: OperatorOutcome; facts: ExposureFacts }>): void {
    let ready = false;
    for (const { facts, outcome } of decided) {
      if (outcome === 'in-flight') this.hold(facts);
      else if (outcome === 'queued') {
        ready = true;
        this.deps.metrics.count('queued');
        this.deps.logger.info({ path: facts.path, ip: facts.ip, signature: facts.signature.id }, 'operator mail queued');
      } else if (outcome === 'over-daily-cap') {
        this.deps.metrics.dropped('operator-daily-cap', facts.hits);
        this.deps.logger.warn({ path: facts.path, ip: facts.ip }, 'operator mail not sent: the daily bound of operator mails was reached (see GET /exposures)');
      }
    }
    if (ready) this.deps.onReady();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.heldTimer);
    this.heldTimer = undefined;
  }

  /**
   * Held apart from the hand-off (draining must not spin on it) and decided again shortly.
   * Lost at exit: the mail in flight already names the path, only its count misses these.
   */
  private hold(facts: ExposureFacts): void {
    const lost = this.handoff.hold(facts);
    if (lost > 0) this.deps.metrics.dropped('handoff-full', lost);
    if (this.heldTimer !== undefined || this.stopped) return;
    this.heldTimer = setTimeout(() => {
      this.heldTimer = undefined;
      const dropped = this.handoff.release();
      if (dropped > 0) this.deps.metrics.dropped('handoff-full', dropped);
      this.deps.onReleased();
    }, IN_FLIGHT_RETRY_MS);
    this.heldTimer.unref();
  }
}
