import { canonicalIp } from '../address.js';
import type { DetectionEvent } from '../detect/detection.js';
import { sanitiseLine } from '../detect/sanitise.js';
import { snapshotOf } from '../notify/handoff.js';
import { newMessageId } from '../notify/queue.js';
import { MAX_SAMPLES, type NoticeFacts, type SignatureSnapshot } from '../notify/types.js';
import type { NoticeRelay } from '../notify/index.js';
import type { RedisLink } from './redis-link.js';

/** One notice in the fleet's stream: the facts of the claimed hits, its Message-ID (the same on every retry), who queued it and when. */
export interface StreamNotice {
  facts: NoticeFacts;
  messageId: string;
  queuedAt: number;
  replica: string;
}

/** The stream's name and its consumer group (`wormwatch mailer` and replicas with SMTP read it). */
export const STREAM = 'notices';
export const GROUP = 'mailers';

/** The facts of a claim's first hits (a handful: what waited for the claim), merged. Pure. */
export function factsOf(events: readonly DetectionEvent[]): NoticeFacts {
  const first = events[0]!;
  const times = events.map((e) => e.at.getTime());
  const samples = [...new Set(events.map((e) => e.requestLine))].slice(0, MAX_SAMPLES);
  return { ip: first.ip, signature: snapshotOf(first), firstSeen: Math.min(...times), lastSeen: Math.max(...times), hits: events.length, samples };
}

/** The stream entry's fields (flat strings, as XADD takes them). Pure. */
export function entryFields(n: StreamNotice): string[] {
  return ['ip', n.facts.ip, 'sig', JSON.stringify(n.facts.signature), 'first', String(n.facts.firstSeen), 'last', String(n.facts.lastSeen),
    'hits', String(n.facts.hits), 'samples', JSON.stringify(n.facts.samples), 'mid', n.messageId, 'at', String(n.queuedAt), 'by', n.replica];
}

const int = (v: string | undefined): number | null => (v !== undefined && /^\d{1,16}$/.test(v) ? Number(v) : null);

/** A stream entry back as a notice, every field checked (anyone who can write to Redis can write to the stream), or null. Pure. */
export function noticeOfEntry(fields: readonly string[]): StreamNotice | null {
  const f = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!, fields[i + 1]!);
  const [first, last, hits, at] = [int(f.get('first')), int(f.get('last')), int(f.get('hits')), int(f.get('at'))];
  const signature = signatureOf(f.get('sig'));
  const samples = samplesOf(f.get('samples'));
  // An address, canonical: it becomes the recipients (`administrator@[ip]`), so nothing else may pass.
  const ip = canonicalIp(f.get('ip') ?? '');
  const mid = f.get('mid');
  if (ip === null || mid === undefined || !/^<[^<>\s]{1,200}>$/.test(mid) || signature === null || samples === null
    || first === null || last === null || hits === null || at === null) return null;
  return { facts: { ip, signature, firstSeen: first, lastSeen: last, hits, samples }, messageId: mid, queuedAt: at, replica: sanitiseLine(f.get('by') ?? '?', 63) };
}

function parsed(text: string | undefined): unknown {
  try {
    return text === undefined ? null : JSON.parse(text);
  } catch {
    return null;
  }
}

function signatureOf(text: string | undefined): SignatureSnapshot | null {
  const s = parsed(text) as Partial<SignatureSnapshot> | null;
  if (typeof s?.id !== 'string' || typeof s.title !== 'string' || typeof s.description !== 'string' || !Array.isArray(s.references)) return null;
  return { id: sanitiseLine(s.id, 100), title: sanitiseLine(s.title, 200), description: sanitiseLine(s.description, 2000), references: s.references.slice(0, 10).map((r) => sanitiseLine(String(r), 300)) };
}

function samplesOf(text: string | undefined): string[] | null {
  const s = parsed(text);
  return Array.isArray(s) ? s.slice(0, MAX_SAMPLES).map((l) => sanitiseLine(String(l), 200)) : null;
}

/**
 * The producer side: a won claim's notice appended to the stream, trimmed to about `max` entries
 * (`--outbox-max-rows`; past it the oldest unsent go, as the outbox's bound would refuse new ones).
 */
export class NoticeProducer implements NoticeRelay {
  constructor(private readonly link: RedisLink, private readonly replica: string, private readonly from: string, private readonly max: number) {}

  async queue(events: DetectionEvent[]): Promise<void> {
    await this.#add({ facts: factsOf(events), messageId: newMessageId(this.from), queuedAt: Date.now(), replica: this.replica });
  }

  /** A notice of this replica's outbox (queued while Redis was away), with the Message-ID it has there. */
  async relay(facts: NoticeFacts, messageId: string): Promise<void> {
    if (!this.link.up) throw new Error('Redis is away: the notice waits in the outbox');
    const samples = facts.samples.slice(0, MAX_SAMPLES);
    await this.#add({ facts: { ip: facts.ip, signature: facts.signature, firstSeen: facts.firstSeen, lastSeen: facts.lastSeen, hits: facts.hits, samples }, messageId, queuedAt: Date.now(), replica: this.replica });
  }

  async #add(notice: StreamNotice): Promise<void> {
    await this.link.redis.xadd(this.link.key(STREAM), 'MAXLEN', '~', this.max, '*', ...entryFields(notice));
  }
}
