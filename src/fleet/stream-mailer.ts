import type { Logger } from '../log.js';
import type { FleetMetrics } from '../metrics.js';
import type { ReverseDns } from '../notify/dns.js';
import type { NoticeMetrics } from '../notify/metrics.js';
import { buildRecipients } from '../notify/recipients.js';
import { eligibility, recipientDomain, type EligibilityRules } from '../notify/policy.js';
import { renderMessage, type RenderSettings } from '../notify/render.js';
import type { Sender } from '../notify/sender.js';
import { FleetCaps } from './caps.js';
import { FleetOffenderReader } from './offender-view.js';
import { GROUP, noticeOfEntry, STREAM, type StreamNotice } from './notice-stream.js';
import type { RedisLink } from './redis-link.js';

export interface MailerSettings {
  /** This consumer's name in the group (unique per process: a crashed one's entries are reclaimed by name). */
  consumer: string;
  /** `--notice-lease`: an entry held this long by a consumer that has not acknowledged it is taken over. */
  leaseMs: number;
  /** `--notice-max-age`: older entries fail unsent. */
  maxAgeMs: number;
  templates: readonly string[];
  render: RenderSettings;
  maxPerDomainPerHour: number;
  /** `--allow` and `--notice-allow-private`, as the replicas have them: the stream is Redis's, so the mailer judges each address again. */
  rules: EligibilityRules;
}

export interface MailerDeps {
  sender: Sender;
  dns: ReverseDns;
  counts: NoticeMetrics;
  fleet: FleetMetrics;
  logger: Logger;
}

/** Entries taken per read (the SMTP pool's size: nodemailer would queue more). */
const BATCH = 5;
/** A read waits this long for new entries before it looks for expired leases again. */
export const BLOCK_MS = 1_000;

type Entries = Array<[id: string, fields: string[]]>;

/**
 * The stream's consumer: `wormwatch mailer`, or a replica with SMTP. At-least-once: an entry is
 * acknowledged (and deleted) only after the SMTP server accepted it or refused it for good; one
 * held past the lease by a consumer that died is taken over with XAUTOCLAIM and sent again (the
 * same Message-ID, so a receiver can tell). A temporary failure is left pending: the lease is its
 * retry delay. The reverse lookup, recipients, per-domain cap and rendering are the notifier's.
 */
export class StreamMailer {
  #stopped = false;
  #loop: Promise<void> | undefined;
  readonly #caps: FleetCaps;
  readonly #offenders: FleetOffenderReader;

  constructor(private readonly link: RedisLink, private readonly settings: MailerSettings, private readonly deps: MailerDeps) {
    this.#caps = new FleetCaps(link);
    this.#offenders = new FleetOffenderReader(link, { get: () => undefined, list: () => [], size: 0 });
  }

  start(): void {
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
    this.deps.sender.close();
  }

  async #run(): Promise<void> {
    let grouped = false;
    while (!this.#stopped) {
      try {
        if (!this.link.up) {
          await sleep(100);
          continue;
        }
        grouped ||= await this.#ensureGroup();
        await this.#deliverAll(await this.#reclaim(), true);
        await this.#deliverAll(await this.#read(), false);
      } catch (err) {
        this.link.failed('stream', err);
        await sleep(200);
      }
    }
  }

  async #ensureGroup(): Promise<boolean> {
    await this.link.redis.xgroup('CREATE', this.link.key(STREAM), GROUP, '0', 'MKSTREAM').catch((err: Error) => {
      if (!/BUSYGROUP/.test(err.message)) throw err;
    });
    return true;
  }

  async #reclaim(): Promise<Entries> {
    const reply = (await this.link.redis.xautoclaim(this.link.key(STREAM), GROUP, this.settings.consumer, this.settings.leaseMs, '0-0', 'COUNT', BATCH)) as [string, Entries, string[]?];
    return reply[1].filter((e) => e !== null && Array.isArray(e[1]));
  }

  async #read(): Promise<Entries> {
    const reply = (await this.link.redis.xreadgroup('GROUP', GROUP, this.settings.consumer, 'COUNT', BATCH, 'BLOCK', BLOCK_MS, 'STREAMS', this.link.key(STREAM), '>')) as Array<[string, Entries]> | null;
    return reply?.[0]?.[1] ?? [];
  }

  async #deliverAll(entries: Entries, reclaimed: boolean): Promise<void> {
    if (reclaimed && entries.length > 0) {
      this.deps.fleet.reclaimed.inc(entries.length);
      this.deps.logger.warn({ notices: entries.length, consumer: this.settings.consumer }, 'notices taken over from a consumer past --notice-lease');
    }
    await Promise.all(entries.map(([id, fields]) => this.#deliver(id, fields)));
  }

  async #deliver(id: string, fields: string[]): Promise<void> {
    const notice = noticeOfEntry(fields);
    if (notice === null) {
      this.deps.logger.warn({ entry: id }, 'malformed notice in the stream dropped');
      return this.#done(id);
    }
    // Replicas stream only addresses that may get a notice; anyone else who can write to Redis
    // must not make the mailer write to a private, loopback or --allow address.
    if (!eligibility(notice.facts.ip, this.settings.rules).ok) {
      this.deps.counts.suppressed('not-eligible');
      this.deps.logger.warn({ entry: id, ip: notice.facts.ip }, 'notice in the stream for an address that gets none (private, special-purpose or --allow) dropped');
      return this.#done(id);
    }
    if (Date.now() - notice.queuedAt > this.settings.maxAgeMs) {
      this.deps.counts.count('failed');
      return this.#done(id);
    }
    const host = await this.deps.dns.lookup(notice.facts.ip);
    const recipients = buildRecipients(this.settings.templates, notice.facts.ip, host.hostname);
    const domains = [...new Set(recipients.to.map(recipientDomain))];
    if (!(await this.#caps.domains(domains, this.settings.maxPerDomainPerHour).catch(() => true))) {
      this.deps.counts.suppressed('domain-cap');
      return this.#done(id);
    }
    const facts = await this.#fleetFacts(notice);
    const message = renderMessage({ facts, host, recipients, messageId: notice.messageId, date: new Date(notice.queuedAt).toUTCString() }, this.settings.render);
    try {
      await this.deps.sender.send(message);
    } catch (err) {
      const code = (err as { responseCode?: number }).responseCode ?? 0;
      if (code < 500) return void this.deps.counts.count('retried'); // pending: taken over again after the lease
      this.deps.counts.count('failed');
      this.deps.logger.warn({ entry: id, reply: (err as Error).message }, 'notice failed permanently');
      return this.#done(id);
    }
    this.deps.counts.count('sent');
    this.deps.logger.info({ event: 'notice-sent', entry: id, messageId: notice.messageId, ip: notice.facts.ip, consumer: this.settings.consumer }, 'notice sent');
    await this.#done(id);
  }

  /** The fleet's hits of the address, when its record is bigger than what the claim saw. */
  async #fleetFacts(notice: StreamNotice): Promise<StreamNotice['facts']> {
    const seen = await this.#offenders.get(notice.facts.ip).catch(() => null);
    if (seen === null || seen.hits <= notice.facts.hits) return notice.facts;
    return { ...notice.facts, hits: seen.hits, firstSeen: Math.min(notice.facts.firstSeen, seen.firstSeen.getTime()), lastSeen: Math.max(notice.facts.lastSeen, seen.lastSeen.getTime()) };
  }

  async #done(id: string): Promise<void> {
    await this.link.redis.multi().xack(this.link.key(STREAM), GROUP, id).xdel(this.link.key(STREAM), id).exec();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
