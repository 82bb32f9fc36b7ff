import { backoffDelay, type RdapAnswer, type RdapNetwork } from '../rdap/index.js';
import { decodeEntry, entryFactsOf, mergeEntryFacts } from './abuse-facts.js';
import { DigestSharing } from './abuse-fleet.js';
import type { EntryRow } from './abuse-store.js';
import { DigestCloser, type CloseConfig, type CloseDeps } from './abuse-close.js';
import type { DigestGate } from './gate.js';
import type { Outbox } from './outbox.js';
import { eligibility, type EligibilityRules } from './policy.js';
import type { BatchCounts, NoticeFacts } from './types.js';

/**
 * The abuse tier: hosts that keep probing are listed, once per digest, in one mail per abuse
 * mailbox per `--abuse-digest-interval`. The mailbox comes from RDAP, looked up here, off the
 * request path and outside any transaction; a lookup that fails leaves the host waiting in the
 * outbox for a later try, so a restart or a registry outage loses nothing.
 */

/** Hosts waiting for their RDAP lookup at most; more are counted (`digest-full`) and not listed. */
export const ABUSE_PENDING_MAX = 10_000;
/** Hosts one digest lists at most (about 3 MB of mail); later ones are counted in it, not listed. */
export const DIGEST_MAX_HOSTS = 1_000;
/** Hosts listed in all open digests together at most (about 30 MB of outbox); later ones are counted, not listed. */
export const LISTED_OPEN_MAX = 50_000;
/** Lookups in flight from here; the RDAP client itself asks at most 4 servers at once, one per network. */
const LOOKUPS_IN_FLIGHT = 16;
/** Waiting hosts whose lookups never succeeded are given up this often. */
const EXPIRE_EVERY_MS = 60_000;

/** The tier's settings; the caps and `--notice-max-age` are in CloseConfig. */
export interface AbuseConfig extends CloseConfig {
  rules: EligibilityRules;
  /** `--abuse-after`: only hosts still probing this long after their first host-tier notice. */
  afterMs: number;
  digestIntervalMs: number;
  /** `--outbox-max-rows`: a digest is not opened while queued notices fill the outbox. */
  maxRows: number;
  retryBaseMs: number;
  retryMaxMs: number;
}

/** The tier's plumbing; the outbox, counters, log and callbacks are in CloseDeps. */
export interface AbuseDeps extends CloseDeps {
  lookup: (ip: string) => Promise<RdapAnswer>;
  messageId: () => string;
  /** Fleet mode: one digest per mailbox per window across the fleet (see abuse-fleet.ts). */
  fleet?: DigestGate;
  now?: () => number;
}

/** What became of one host's hits: joined the entry it has, waiting for a lookup, not for this tier, or no room. */
export type AbuseAdmission = 'joined' | 'waiting' | 'skipped' | 'full';


export class AbuseTier {
  private readonly looking = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** A write failed: no more lookups until the next tick (a full disk must not make this spin). */
  private writeFailed = false;
  private more: NodeJS.Immediate | undefined;
  private lastExpiry = 0;
  private readonly now: () => number;
  private readonly sharing: DigestSharing | undefined;
  private readonly closer: DigestCloser;

  constructor(private readonly config: AbuseConfig, private readonly deps: AbuseDeps) {
    this.now = deps.now ?? Date.now;
    this.sharing = deps.fleet ? new DigestSharing(deps.fleet) : undefined;
    this.closer = new DigestCloser(config, deps, this.now, () => this.stopped, this.sharing);
  }

  /**
   * Decides one host's new hits inside the caller's transaction: never private, documentation or
   * `--allow` addresses; with `--abuse-after`, only hits that came that long after the host's
   * first host-tier notice (so its administrators had time to act).
   */
  admit(box: Outbox, facts: NoticeFacts, now: number, counts: BatchCounts): AbuseAdmission {
    if (!eligibility(facts.ip, this.config.rules).ok) return 'skipped';
    if (this.config.afterMs > 0) {
      const first = box.abuse.firstHostNotice(facts.ip) ?? facts.hostQueuedAt;
      if (first === undefined || facts.lastSeen < first + this.config.afterMs) return 'skipped';
    }
    const add = entryFactsOf(facts);
    const live = box.abuse.liveEntry(facts.ip);
    const digest = this.sharing && live?.notice_id ? box.get(live.notice_id) : undefined;
    // A digest whose fleet window ended takes no more hits: they wait, as a new host, for the next.
    if (live !== undefined && !(digest && this.sharing!.ended(digest, now))) {
      box.abuse.update(live, mergeEntryFacts(decodeEntry(live), add), now);
      if (digest) this.sharing!.add(digest, { ip: live.ip, network: live.network, facts: add });
      return 'joined';
    }
    // A waiting host is never evicted, so it takes a row of --outbox-max-rows like a queued notice.
    if (counts.pending >= ABUSE_PENDING_MAX || counts.held >= this.config.maxRows) return 'full';
    box.abuse.addPending(facts.ip, add, now);
    counts.pending++;
    counts.held++;
    return 'waiting';
  }

  /** The caller's transaction committed (its hosts are shared with the fleet now), or rolled back. */
  committed(): void {
    this.sharing?.committed();
    this.lookupMore();
  }

  rolledBack(): void {
    this.sharing?.rolledBack();
  }

  /** Looks for due lookups and digests now, then every `pollMs`. */
  start(pollMs: number): void {
    this.timer = setInterval(() => this.pump(), pollMs);
    this.timer.unref();
    this.pump();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    if (this.more) clearImmediate(this.more);
  }

  pump(): void {
    if (this.stopped) return;
    this.writeFailed = false;
    this.closer.closeDue();
    this.lookupMore();
    if (this.now() - this.lastExpiry >= EXPIRE_EVERY_MS) this.expire();
  }

  /** Starts lookups for waiting hosts that are due, up to LOOKUPS_IN_FLIGHT. */
  lookupMore(): void {
    const box = this.deps.outbox();
    if (this.stopped || this.writeFailed || box === null) return;
    const free = LOOKUPS_IN_FLIGHT - this.looking.size;
    if (free <= 0) return;
    let rows: EntryRow[];
    try {
      rows = box.abuse.dueLookups(this.now(), free, [...this.looking]);
    } catch (err) {
      this.deps.onWriteError(err);
      return;
    }
    for (const row of rows) {
      this.looking.add(row.id);
      this.deps.lookup(row.ip)
        .then((answer) => this.resolved(row.id, answer))
        .catch((err: unknown) => {
          this.writeFailed = true;
          this.deps.onWriteError(err);
          return false;
        })
        .then((settled) => {
          this.looking.delete(row.id);
          // Only an answer frees a slot for the next host at once; a failure waits for the tick, so a
          // registry that is down (answered from the back-off at once) cannot make this spin.
          if (settled) this.moreSoon();
        });
    }
  }

  /** The next lookups on a later turn of the event loop, never in the same chain of promises. */
  private moreSoon(): void {
    this.more ??= setImmediate(() => {
      this.more = undefined;
      this.lookupMore();
    });
  }

  /** True when the host was settled (listed, or left out), false when its lookup is to be tried again. */
  private resolved(id: number, answer: RdapAnswer): boolean {
    const box = this.deps.outbox();
    if (this.stopped || box === null) return false;
    const now = this.now();
    const entry = box.abuse.get(id);
    if (entry === undefined || entry.notice_id !== null) return true;
    if (answer.contact !== null) {
      const contact = answer.contact;
      let outcome: ReturnType<AbuseTier['file']>;
      try {
        outcome = box.transaction(() => this.file(box, entry, contact, answer.network, now));
      } catch (err) {
        this.rolledBack();
        throw err;
      }
      this.sharing?.committed();
      if (outcome === 'full') this.deps.metrics.dropped('digest-full');
      if (outcome === 'later') box.abuse.defer(id, this.sharing!.later(now));
      return true;
    }
    if (answer.result === 'none') {
      box.abuse.remove(id);
      this.deps.metrics.dropped('no-abuse-contact');
      this.deps.logger.info({ ip: entry.ip, reason: answer.reason }, 'no abuse contact for an offender; the abuse tier leaves it out');
      return true;
    }
    // error, timeout, rate-limited, invalid: tried again later, until --notice-max-age.
    if (now - entry.created_at >= this.config.maxAgeMs) {
      box.abuse.remove(id);
      this.deps.metrics.dropped('abuse-lookup-failed');
      this.deps.logger.warn({ ip: entry.ip, attempts: entry.attempts + 1, reason: answer.reason }, 'abuse contact lookup gave up (--notice-max-age)');
      return true;
    }
    box.abuse.reschedule(id, now + backoffDelay(entry.attempts + 1, this.config.retryBaseMs, this.config.retryMaxMs), answer.reason);
    return false;
  }

  /** Puts a host whose mailbox is known on that mailbox's open digest, opening one if needed. */
  private file(box: Outbox, entry: EntryRow, mailbox: string, network: RdapNetwork | null, now: number): 'listed' | 'joined' | 'full' | 'later' {
    let digest = box.abuse.openDigest(mailbox);
    if (digest !== undefined && this.sharing?.ended(digest, now)) return 'later';
    if (digest === undefined) {
      // Queued rows are never evicted: a digest is refused, like any notice, when they fill the outbox.
      if (box.activeCount() >= this.config.maxRows || box.abuse.listedOpen() >= LISTED_OPEN_MAX) return this.drop(box, entry.id);
      box.abuse.openNew(mailbox, now, this.sharing?.dueAt(now) ?? now + this.config.digestIntervalMs, this.deps.messageId());
      digest = box.abuse.openDigest(mailbox)!;
    }
    const listed = box.abuse.listedIn(digest.id, entry.ip);
    if (listed !== undefined) {
      box.abuse.update(listed, mergeEntryFacts(decodeEntry(listed), decodeEntry(entry)), now);
      box.abuse.remove(entry.id);
      this.sharing?.add(digest, { ip: entry.ip, network: listed.network, facts: decodeEntry(entry) });
      return 'joined';
    }
    if ((digest.hosts ?? 0) >= DIGEST_MAX_HOSTS || box.abuse.listedOpen() >= LISTED_OPEN_MAX) {
      box.abuse.countUnlisted(digest.id, now);
      return this.drop(box, entry.id);
    }
    box.abuse.list(entry.id, digest.id, networkLabel(network), now);
    this.sharing?.add(digest, { ip: entry.ip, network: networkLabel(network), facts: decodeEntry(entry) });
    return 'listed';
  }

  private drop(box: Outbox, entryId: number): 'full' {
    box.abuse.remove(entryId);
    return 'full';
  }

  /** Gives up hosts that waited for a lookup longer than `--notice-max-age` (the server was down all along). */
  private expire(): void {
    const box = this.deps.outbox();
    if (box === null) return;
    this.lastExpiry = this.now();
    try {
      const gone = box.abuse.expirePending(this.lastExpiry - this.config.maxAgeMs);
      if (gone > 0) this.deps.metrics.dropped('abuse-lookup-failed', gone);
    } catch (err) {
      this.deps.onWriteError(err);
    }
  }
}

/** How a digest names the network a host is in: the registry's handle or name, and its first prefixes. */
export function networkLabel(n: RdapNetwork | null): string | null {
  if (n === null) return null;
  const cidrs = n.cidrs.slice(0, 2).join(', ') + (n.cidrs.length > 2 ? ', ...' : '');
  const name = n.handle ?? n.name;
  return (name !== null && name !== n.cidrs[0] ? `${name} (${cidrs})` : cidrs).slice(0, 200);
}
