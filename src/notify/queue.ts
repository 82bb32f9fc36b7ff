import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Outbox } from './outbox.js';
import type { ReverseDns } from './dns.js';
import type { NoticeMetrics } from './metrics.js';
import type { BatchCounts, HostLookup, NoticeFacts, NoticeRow, SuppressionReason } from './types.js';
import { mergeIntoRow, type Handoff } from './handoff.js';
import { admitExposure, type ExposureFacts, type OperatorHandoff, type OperatorOutcome } from './operator.js';
import { domainCap, eligibility, globalCap, recipientDomain, type EligibilityRules } from './policy.js';
import { buildRecipients } from './recipients.js';
import type { AbuseTier } from './abuse.js';

export interface QueueConfig {
  rules: EligibilityRules;
  templates: readonly string[];
  from: string;
  intervalMs: number;
  maxPerHour: number;
  maxPerDomainPerHour: number;
  maxAgeMs: number;
  dnsMaxInFlight: number;
  /** Rows the outbox may hold (`--outbox-max-rows`). */
  maxRows: number;
  /** False under `--notify off`: offender rows (of earlier runs) get no lookups; only operator mail is written. */
  offenders: boolean;
  /** `--notice-tiers` has host: each offender gets its own notice (today's, the 2001 recipients). */
  hostTier: boolean;
}

/** Operator mail about exposures (`--operator-email`): its hand-off and its recipient. */
export interface OperatorIntake {
  handoff: OperatorHandoff;
  recipient: string;
}

export interface QueueDeps {
  /** The outbox, or null while it cannot be opened (the disk is full or read-only). */
  outbox: () => Outbox | null;
  dns: ReverseDns;
  metrics: NoticeMetrics;
  logger: Logger;
  /** A write failed: the disk, not the notice, is at fault. */
  onWriteError: (err: unknown) => void;
  /** A batch was written (the disk works again, if it did not). */
  onWriteOk: () => void;
  onHostname?: (ip: string, hostname: string) => void;
  /** Called when a notice becomes ready to send. */
  onReady: () => void;
  /** The abuse tier (`--notice-tiers` has abuse): hosts for the digests, decided in the same batches. */
  abuse?: AbuseTier;
  /** The address's network (AS, organisation, country), when the offender store knows it. */
  networkOf?: (ip: string) => NoticeFacts['network'];
  /** Fleet mode's shared per-domain cap (see NoticeGate); null: the local cap alone decides. */
  domainsAllowed?: (domains: readonly string[]) => Promise<boolean | null>;
  now?: () => number;
}

const DRAIN_BATCH = 500;
const HOUR = 3_600_000;
/** While the outbox cannot be written, the hand-off is tried again this often. */
export const DISK_RETRY_MS = 5_000;

/** Counts made inside a transaction, applied only once it committed. */
interface Tally {
  suppressed: SuppressionReason[];
  operator: Array<{ outcome: OperatorOutcome; facts: ExposureFacts }>;
  /** Hosts the abuse tier had no room for. */
  abuseFull: number;
}

/**
 * From hand-off buffer to a ready notice: policy, de-duplication and the global cap decide in one
 * SQLite transaction per batch (so the count is exact); then the reverse lookup runs off that
 * path, the per-domain cap is applied and the notice counted as queued or suppressed, once. A
 * crash between the two steps is harmless: notices whose lookup has not run are picked up again
 * on start. A batch whose write fails goes back into the hand-off and is tried again later.
 * Operator mail (exposures) goes through the same batches, first, and is ready when written.
 */
export class NoticeQueue {
  private readonly looking = new Set<number>();
  private draining = false;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Lookups wait for this after a failed write: a full disk must not make them spin. */
  private lookupTimer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly handoff: Handoff, private readonly config: QueueConfig, private readonly deps: QueueDeps, private readonly operator?: OperatorIntake) {
    this.now = deps.now ?? Date.now;
  }

  /** Entries still in memory, in both hand-offs. */
  get pending(): number {
    return this.handoff.size + (this.operator?.handoff.size ?? 0);
  }

  /** Schedules a drain of the hand-off buffer on a later tick (never on the caller's). */
  schedule(): void {
    if (this.draining || this.stopped || this.retryTimer !== undefined) return;
    this.draining = true;
    setImmediate(() => this.drainSome());
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.lookupTimer);
    this.retryTimer = undefined;
  }

  /** Writes everything still in the hand-off now (on shutdown); false when it could not. */
  flush(): boolean {
    while (this.pending > 0) if (!this.writeBatch()) return false;
    return true;
  }

  /** Starts lookups for notices queued before a crash or restart. */
  resume(): void {
    this.lookupMore();
  }

  private drainSome(): void {
    if (this.stopped) return;
    if (!this.writeBatch()) {
      // The disk refused: the hits are back in the hand-off; try again later, not on every hit.
      this.draining = false;
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.schedule();
      }, DISK_RETRY_MS);
      this.retryTimer.unref();
      return;
    }
    if (this.pending > 0) setImmediate(() => this.drainSome());
    else this.draining = false;
    this.lookupMore();
  }

  /** One batch from the hand-off into the outbox; false (the batch put back) when the write failed. */
  private writeBatch(): boolean {
    const box = this.deps.outbox();
    if (box === null) return false;
    const exposures = this.operator?.handoff.take(DRAIN_BATCH) ?? [];
    const batch = this.handoff.take(DRAIN_BATCH);
    if (batch.length === 0 && exposures.length === 0) return true;
    const tally: Tally = { suppressed: [], operator: [], abuseFull: 0 };
    try {
      box.transaction(() => {
        // Operator mail first, outside every offender cap (the outbox-full one too: it is bounded per day).
        for (const facts of exposures) tally.operator.push({ facts, outcome: this.admitExposure(box, facts) });
        // Counted once per batch, then kept exact by counting our own inserts.
        // Rows that may not be evicted (notices that may still be sent, hosts waiting for a digest)
        // share --outbox-max-rows, whichever tier wrote them.
        const abuse = this.deps.abuse;
        const counts: BatchCounts = { hour: box.countSince(this.now() - HOUR), held: box.activeCount() + (abuse ? box.abuse.heldEntries() : 0), pending: abuse ? box.abuse.pendingCount() : 0 };
        for (const f of batch) {
          f.network ??= this.deps.networkOf?.(f.ip);
          // Queued in the fleet's stream already: the abuse tier's alone.
          if (this.config.hostTier && f.hostQueuedAt === undefined) this.admit(box, f, counts, tally);
          if (abuse?.admit(box, f, this.now(), counts) === 'full') tally.abuseFull++;
        }
        const excess = box.heldRows() - this.config.maxRows;
        if (excess > 0) box.evict(excess);
      });
    } catch (err) {
      box.forgetRowCount(); // the rolled-back inserts were counted
      this.deps.abuse?.rolledBack();
      const lost = this.handoff.putBack(batch) + (this.operator?.handoff.putBack(exposures) ?? 0);
      if (lost > 0) this.deps.metrics.dropped('handoff-full', lost);
      this.deps.onWriteError(err);
      return false;
    }
    for (const reason of tally.suppressed) this.deps.metrics.suppressed(reason);
    if (tally.abuseFull > 0) this.deps.metrics.dropped('digest-full', tally.abuseFull);
    this.recordOperator(tally.operator);
    this.deps.onWriteOk();
    this.deps.abuse?.committed();
    return true;
  }

  private admitExposure(box: Outbox, facts: ExposureFacts): OperatorOutcome {
    const recipient = this.operator!.recipient;
    return admitExposure(box, facts, this.now(), { recipient, maxAgeMs: this.config.maxAgeMs, messageId: () => newMessageId(this.config.from) });
  }

  /** After the commit: counts, log lines, and the delivery pump woken at once for a new mail. */
  private recordOperator(decided: Tally['operator']): void {
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

  private admit(box: Outbox, facts: NoticeFacts, counts: BatchCounts, tally: Tally): void {
    const now = this.now();
    const latest = box.latestFor(facts.ip, now - this.config.intervalMs);
    if (latest) {
      const active = latest.state === 'queued' || latest.state === 'retrying';
      if (!active && latest.state !== 'suppressed') return; // sent or failed: that interval's notice is done
      mergeIntoRow(box, latest, facts, now, active);
      return;
    }
    const reason = this.suppression(facts.ip, counts);
    if (reason === null) {
      counts.hour++;
      counts.held++;
    } else tally.suppressed.push(reason);
    box.insert({
      facts, state: reason === null ? 'queued' : 'suppressed', reason, now,
      messageId: reason === null ? newMessageId(this.config.from) : null,
      deadline: reason === null ? now + this.config.maxAgeMs : null,
    });
  }

  private suppression(ip: string, counts: BatchCounts): SuppressionReason | null {
    if (!eligibility(ip, this.config.rules).ok) return 'not-eligible';
    if (counts.held >= this.config.maxRows) return 'outbox-full';
    if (globalCap({ lastHour: counts.hour, maxPerHour: this.config.maxPerHour })) return 'hourly-cap';
    return null;
  }

  private lookupMore(): void {
    const box = this.deps.outbox();
    if (this.stopped || box === null || !this.config.offenders) return;
    const free = this.config.dnsMaxInFlight - this.looking.size;
    if (free <= 0) return;
    let rows: NoticeRow[];
    try {
      rows = box.awaitingLookup(free, [...this.looking]);
    } catch (err) {
      this.deps.onWriteError(err);
      return;
    }
    for (const row of rows) {
      this.looking.add(row.id);
      this.deps.dns
        .lookup(row.ip)
        .then(async (host) => {
          await this.resolved(row.id, host);
          return true;
        })
        .catch((err: unknown) => {
          this.deps.onWriteError(err);
          return false;
        })
        .then((written) => {
          this.looking.delete(row.id);
          // After a failed write the same rows would be due at once (their answers are cached):
          // wait for the disk instead of spinning on it.
          if (written) this.lookupMore();
          else this.lookupLater();
        });
    }
  }

  private lookupLater(): void {
    if (this.stopped || this.lookupTimer !== undefined) return;
    this.lookupTimer = setTimeout(() => {
      this.lookupTimer = undefined;
      this.lookupMore();
    }, DISK_RETRY_MS);
    this.lookupTimer.unref();
  }

  private async resolved(id: number, host: HostLookup): Promise<void> {
    const first = this.deps.outbox()?.get(id);
    if (this.stopped || !first || first.host_status !== null) return;
    const domains = [...new Set(buildRecipients(this.config.templates, first.ip, host.hostname).to.map(recipientDomain))];
    const shared = (await this.deps.domainsAllowed?.(domains)) ?? null;
    const box = this.deps.outbox();
    if (this.stopped || box === null) return;
    const now = this.now();
    const row = box.get(id);
    if (!row || row.host_status !== null) return;
    if (host.hostname) this.deps.onHostname?.(row.ip, host.hostname);
    const capped = box.transaction(() => {
      const over = shared === false || domainCap(domains, box.domainCounts(domains, now - HOUR), this.config.maxPerDomainPerHour) !== null;
      if (over) box.suppress(id, 'domain-cap', now);
      else box.setHost(id, host.hostname, host.hostname !== null ? 'confirmed' : host.reason, domains, now);
      return over;
    });
    if (capped) this.deps.metrics.suppressed('domain-cap');
    else this.deps.metrics.count('queued');
    this.deps.onReady();
  }
}

export function newMessageId(from: string): string {
  const domain = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1] ?? 'wormwatch.invalid';
  return `<${randomUUID()}@${domain}>`;
}
