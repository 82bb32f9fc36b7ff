import type { Logger } from 'pino';
import type { Outbox } from './outbox.js';
import type { NoticeMetrics } from './metrics.js';
import { admitExposure, type ExposureFacts, type OperatorHandoff, type OperatorOutcome } from './operator.js';

export interface OperatorIntakeDeps {
  metrics: NoticeMetrics;
  logger: Logger;
  /** A new mail is ready: wake the delivery pump. */
  onReady: () => void;
  now: () => number;
  maxAgeMs: number;
  messageId: () => string;
}

/**
 * Operator mail inside the notice queue's batches: decides each exposure in the batch's
 * transaction and records the outcomes once it committed.
 */
export class OperatorIntake {
  constructor(readonly handoff: OperatorHandoff, private readonly recipient: string, private readonly deps: OperatorIntakeDeps) {}

  /** Inside the caller's transaction. */
  decide(box: Outbox, facts: ExposureFacts): OperatorOutcome {
    return admitExposure(box, facts, this.deps.now(), { recipient: this.recipient, maxAgeMs: this.deps.maxAgeMs, messageId: this.deps.messageId });
  }

  /** After the commit: counts, log lines, and the delivery pump woken at once for a new mail. */
  record(decided: ReadonlyArray<{ outcome: OperatorOutcome; facts: ExposureFacts }>): void {
    let ready = false;
    for (const { facts, outcome } of decided) {
      if (outcome === 'queued') {
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
}
