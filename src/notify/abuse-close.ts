import type { Logger } from 'pino';
import type { DigestSharing } from './abuse-fleet.js';
import type { DigestVerdict } from './gate.js';
import type { NoticeMetrics } from './metrics.js';
import type { Outbox } from './outbox.js';
import { domainCap, globalCap, recipientDomain } from './policy.js';
import type { NoticeRow, SuppressionReason } from './types.js';

/** Digests closed per tick (the rest on the next one). */
const CLOSE_BATCH = 100;
const HOUR = 3_600_000;

/** The parts of the abuse tier's settings and plumbing closing needs. */
export interface CloseConfig {
  maxPerHour: number;
  maxPerDomainPerHour: number;
  maxAgeMs: number;
}
export interface CloseDeps {
  outbox: () => Outbox | null;
  metrics: NoticeMetrics;
  logger: Logger;
  onWriteError: (err: unknown) => void;
  /** A digest was closed and may be sent. */
  onReady: () => void;
}

/**
 * Closing the abuse tier's digests whose interval is over: the caps decide here, once per digest.
 * In fleet mode (`sharing`) the fleet first says who sends the mailbox's one digest for the window.
 */
export class DigestCloser {
  constructor(
    private readonly config: CloseConfig,
    private readonly deps: CloseDeps,
    private readonly now: () => number,
    private readonly stopped: () => boolean,
    private readonly sharing: DigestSharing | undefined,
  ) {}

  /** Closes the digests whose interval is over (in fleet mode, once the fleet said who sends). */
  closeDue(): void {
    const box = this.deps.outbox();
    if (box === null) return;
    const now = this.now();
    try {
      let ready = false;
      for (const d of box.abuse.dueDigests(now, CLOSE_BATCH)) {
        if (this.sharing) this.sharing.settle(d, (verdict) => this.settled(d.id, verdict));
        else ready = this.closeOne(box, d, now, null) || ready;
      }
      if (ready) this.deps.onReady();
    } catch (err) {
      this.deps.onWriteError(err);
    }
  }

  /** Fleet mode: a due digest's verdict, written (another replica sends it, or this one sends the fleet's or its own). */
  private settled(id: number, verdict: DigestVerdict): void {
    const box = this.deps.outbox();
    if (box === null || this.stopped()) return;
    const now = this.now();
    try {
      const d = box.get(id);
      if (d === undefined || d.host_status !== 'open') return; // evicted, or closed meanwhile
      if (verdict.send === 'wait') return; // another replica is writing the fleet's: asked again on the next tick
      if (verdict.send === 'none') return void box.abuse.suppress(id, 'fleet-duplicate', now);
      const fleet = verdict.send === 'fleet' ? verdict : undefined;
      const ready = this.closeOne(box, d, now, verdict.capped, fleet && (() => box.abuse.replaceHosts(id, fleet.hosts, fleet.unlisted, now)));
      if (fleet) this.sharing?.confirm(d); // written: the other replicas may now suppress theirs
      if (ready) this.deps.onReady();
    } catch (err) {
      this.deps.onWriteError(err);
    }
  }

  /** Closes one digest: the fleet's caps (`fleetCap`), then the hourly and per-domain caps decide here, once. True when it is ready to send. */
  private closeOne(box: Outbox, d: NoticeRow, now: number, fleetCap: SuppressionReason | null, before?: () => void): boolean {
    const domain = recipientDomain(d.recipient ?? '');
    const capped = box.transaction((): SuppressionReason | null => {
      before?.();
      if (fleetCap !== null) return this.suppress(box, d.id, fleetCap, now);
      if (globalCap({ lastHour: box.countSince(now - HOUR), maxPerHour: this.config.maxPerHour }) !== null) return this.suppress(box, d.id, 'hourly-cap', now);
      if (domainCap([domain], box.domainCounts([domain], now - HOUR), this.config.maxPerDomainPerHour) !== null) return this.suppress(box, d.id, 'domain-cap', now);
      box.abuse.close(d.id, domain, now, now + this.config.maxAgeMs);
      return null;
    });
    const hosts = box.get(d.id)?.hosts ?? d.hosts;
    if (capped !== null) {
      this.deps.metrics.suppressed(capped);
      this.deps.logger.warn({ notice: d.id, recipient: d.recipient, hosts, reason: capped }, 'abuse digest suppressed by a cap');
      return false;
    }
    this.deps.metrics.count('queued');
    this.deps.logger.info({ notice: d.id, recipient: d.recipient, hosts }, 'abuse digest queued');
    return true;
  }

  private suppress(box: Outbox, id: number, reason: SuppressionReason, now: number): SuppressionReason {
    box.abuse.suppress(id, reason, now);
    return reason;
  }

}
