import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Outbox } from './outbox.js';
import type { ReverseDns } from './dns.js';
import type { NoticeMetrics } from './metrics.js';
import type { HostLookup, NoticeFacts, NoticeRow, RenderedMessage } from './types.js';
import { combineFacts, type Intake } from './intake.js';
import { domainCap, eligibility, globalCap, recipientDomain, type EligibilityRules } from './policy.js';
import { buildRecipients } from './recipients.js';
import { renderMessage, type RenderSettings } from './render.js';

export interface PipelineConfig {
  rules: EligibilityRules;
  render: RenderSettings;
  templates: readonly string[];
  intervalMs: number;
  maxPerHour: number;
  maxPerDomainPerHour: number;
  maxAgeMs: number;
  dnsMaxInFlight: number;
}

export interface PipelineDeps {
  outbox: Outbox;
  dns: ReverseDns;
  metrics: NoticeMetrics;
  logger: Logger;
  onHostname?: (ip: string, hostname: string) => void;
  /** Called when a notice becomes ready to send. */
  onReady: () => void;
  now?: () => number;
}

const DRAIN_BATCH = 500;
const HOUR = 3_600_000;

/**
 * From hand-off buffer to a ready notice: policy, de-duplication and the global cap decide in one
 * SQLite transaction per batch (so the count is exact); then the reverse lookup runs off that
 * path, the per-domain cap is applied and the message re-rendered. A crash between the two
 * steps is harmless: notices whose lookup has not run are picked up again on start.
 */
export class Pipeline {
  private readonly looking = new Set<number>();
  private draining = false;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly intake: Intake, private readonly c: PipelineConfig, private readonly d: PipelineDeps) {
    this.now = d.now ?? Date.now;
  }

  /** Schedules a drain of the hand-off buffer on a later tick (never on the caller's). */
  schedule(): void {
    if (this.draining || this.stopped) return;
    this.draining = true;
    setImmediate(() => this.drainSome());
  }

  stop(): void {
    this.stopped = true;
  }

  /** Starts lookups for notices queued before a crash or restart. */
  resume(): void {
    this.lookupMore();
  }

  private drainSome(): void {
    if (this.stopped) return;
    const batch = this.intake.take(DRAIN_BATCH);
    try {
      if (batch.length > 0) {
        this.d.outbox.transaction(() => {
          // Counted once per batch, then kept exact by counting our own inserts.
          const hour = { count: this.d.outbox.countSince(this.now() - HOUR) };
          for (const f of batch) this.admit(f, hour);
        });
      }
    } catch (err) {
      this.d.logger.error({ err }, 'notice outbox write failed; these hits are dropped');
      this.d.metrics.count('suppressed', batch.length);
    }
    if (this.intake.size > 0) setImmediate(() => this.drainSome());
    else this.draining = false;
    this.lookupMore();
  }

  private admit(facts: NoticeFacts, hour: { count: number }): void {
    const now = this.now();
    const ok = eligibility(facts.ip, this.c.rules);
    if (!ok.ok) {
      this.d.metrics.count('suppressed');
      return;
    }
    const latest = this.d.outbox.latestFor(facts.ip, now - this.c.intervalMs);
    if (latest) {
      if (latest.state === 'queued' || latest.state === 'retrying') this.mergeInto(latest, facts, now);
      return;
    }
    const capped = globalCap({ lastHour: hour.count, maxPerHour: this.c.maxPerHour });
    if (!capped) hour.count++;
    const message = capped ? null : JSON.stringify(this.render(facts, null, newIdentity(this.c.render.from, now)));
    this.d.outbox.insert({
      ip: facts.ip,
      state: capped ? 'suppressed' : 'queued',
      reason: capped,
      signature: facts.signature.id,
      hits: facts.hits,
      firstSeen: facts.firstSeen,
      lastSeen: facts.lastSeen,
      facts: JSON.stringify(facts),
      message,
      now,
      deadline: now + this.c.maxAgeMs,
    });
    this.d.metrics.count(capped ? 'suppressed' : 'queued');
  }

  private mergeInto(row: Pick<NoticeRow, 'id' | 'facts' | 'message' | 'hostname' | 'host_status'>, add: NoticeFacts, now: number): void {
    const facts = combineFacts(JSON.parse(row.facts) as NoticeFacts, add);
    const message = this.render(facts, hostOf(row), identityOf(row.message));
    this.d.outbox.merge(row.id, facts.hits, facts.lastSeen, facts.firstSeen, JSON.stringify(facts), JSON.stringify(message), now);
  }

  private lookupMore(): void {
    if (this.stopped) return;
    const free = this.c.dnsMaxInFlight - this.looking.size;
    if (free <= 0) return;
    let rows: NoticeRow[];
    try {
      rows = this.d.outbox.awaitingLookup(free, [...this.looking]);
    } catch (err) {
      this.d.logger.error({ err }, 'notice outbox read failed');
      return;
    }
    for (const row of rows) {
      this.looking.add(row.id);
      this.d.dns
        .lookup(row.ip)
        .then((host) => this.resolved(row.id, host))
        .catch((err: unknown) => this.d.logger.error({ err, notice: row.id }, 'notice lookup step failed'))
        .finally(() => {
          this.looking.delete(row.id);
          this.lookupMore();
        });
    }
  }

  private resolved(id: number, host: HostLookup): void {
    if (this.stopped) return;
    const now = this.now();
    const row = this.d.outbox.get(id);
    if (!row || row.host_status !== null) return;
    const facts = JSON.parse(row.facts) as NoticeFacts;
    if (host.hostname) this.d.onHostname?.(row.ip, host.hostname);
    const message = this.render(facts, host, identityOf(row.message));
    const domains = [...new Set(message.to.map(recipientDomain))];
    this.d.outbox.transaction(() => {
      const capped = domainCap(domains, this.d.outbox.domainCounts(domains, now - HOUR), this.c.maxPerDomainPerHour);
      if (capped) {
        this.d.outbox.suppress(id, capped, now);
        this.d.metrics.count('suppressed');
        return;
      }
      this.d.outbox.setHost(id, host.hostname, host.hostname !== null ? 'confirmed' : host.reason, JSON.stringify(message), domains, now);
    });
    this.d.onReady();
  }

  private render(facts: NoticeFacts, host: HostLookup | null, id: Identity): RenderedMessage {
    const recipients = buildRecipients(this.c.templates, facts.ip, host ? host.hostname : null);
    return renderMessage({ facts, host, recipients, ...id }, this.c.render);
  }
}

interface Identity {
  messageId: string;
  date: string;
}

function newIdentity(from: string, now: number): Identity {
  const domain = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1] ?? 'wormwatch.invalid';
  return { messageId: `<${randomUUID()}@${domain}>`, date: new Date(now).toUTCString() };
}

function identityOf(message: string | null): Identity {
  if (!message) return newIdentity('', Date.now());
  const m = JSON.parse(message) as RenderedMessage;
  return { messageId: m.messageId, date: m.date };
}

/** The lookup outcome stored on a row: null while pending. */
export function hostOf(row: Pick<NoticeRow, 'hostname' | 'host_status'>): HostLookup | null {
  if (row.host_status === null) return null;
  return row.hostname ? { hostname: row.hostname } : { hostname: null, reason: row.host_status };
}
