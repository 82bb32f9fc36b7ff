import type { DetectionEvent } from '../detect/detection.js';
import type { LatestNotice, Outbox } from './outbox.js';
import { MAX_SAMPLES, MAX_SIGNATURES, type NoticeFacts, type SignatureRef, type SignatureSnapshot } from './types.js';
import { parseSamples } from './row.js';

/** Most distinct addresses waiting in the hand-off buffer; beyond it, hits are counted as suppressed. */
export const HANDOFF_MAX = 10_000;

/**
 * A bounded in-memory hand-off between the request path and the outbox: one merged entry per
 * key, so a thousand hits of one key cost one map entry and one SQLite write. `put` is O(1) and
 * never does I/O. While the outbox cannot be written (a full or read-only disk), what was taken
 * is put back, so nothing is lost that fits.
 */
export class KeyedHandoff<F> {
  private entries = new Map<string, F>();

  constructor(private readonly keyOf: (facts: F) => string, private readonly combine: (stored: F, later: F) => F, private readonly max: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** Updates the entry of `key` in place, or adds `create()`; false when the buffer is full and the hit was not kept. */
  protected put(key: string, update: (cur: F) => void, create: () => F): boolean {
    const cur = this.entries.get(key);
    if (cur !== undefined) {
      update(cur);
      return true;
    }
    if (this.entries.size >= this.max) return false;
    this.entries.set(key, create());
    return true;
  }

  /**
   * Returns entries a failed write had taken, merged with hits that came meanwhile. Returns how
   * many did not fit (the buffer filled up with new keys in the meantime).
   */
  putBack(batch: readonly F[]): number {
    let lost = 0;
    for (const facts of batch) {
      const key = this.keyOf(facts);
      const cur = this.entries.get(key);
      if (cur !== undefined) this.entries.set(key, this.combine(facts, cur));
      else if (this.entries.size < this.max) this.entries.set(key, facts);
      else lost++;
    }
    return lost;
  }

  /** Removes and returns up to `n` entries, oldest first. */
  take(n: number): F[] {
    const out: F[] = [];
    for (const [key, facts] of this.entries) {
      if (out.length >= n) break;
      out.push(facts);
      this.entries.delete(key);
    }
    return out;
  }
}

/** The offender notices' hand-off: one entry per address, at most HANDOFF_MAX addresses. */
export class Handoff extends KeyedHandoff<NoticeFacts> {
  constructor(max = HANDOFF_MAX) {
    super((f) => f.ip, combineFacts, max);
  }

  /** False when the buffer is full and the hit was not kept. `hostQueuedAt`: see NoticeFacts. */
  add(event: DetectionEvent, hostQueuedAt?: number): boolean {
    const at = event.at.getTime();
    // In place: this buffer owns its entries, and this runs on the request path.
    return this.put(event.ip, (cur) => {
      cur.hits++;
      // One hit the host tier must judge here makes the entry the host tier's too.
      if (hostQueuedAt === undefined) delete cur.hostQueuedAt;
      if (at > cur.lastSeen) cur.lastSeen = at;
      if (at < cur.firstSeen) cur.firstSeen = at;
      addSample(cur, at, event.requestLine);
      const sig = event.verdict.signature;
      if (sig.id !== cur.signature.id) addSignature(cur, { id: sig.id, title: sig.title, family: sig.family });
    }, () => ({
      ip: event.ip,
      signature: snapshotOf(event),
      firstSeen: at,
      lastSeen: at,
      hits: 1,
      // The request line was sanitised once, when the detection was built.
      samples: [event.requestLine],
      sampleTimes: [at],
      ...(hostQueuedAt !== undefined ? { hostQueuedAt } : {}),
    }));
  }
}

/** Keeps a request line (and when it was seen) if it is new and there is room: in place, O(MAX_SAMPLES). */
export function addSample(f: NoticeFacts, at: number, line: string): void {
  if (f.samples.length >= MAX_SAMPLES || f.samples.includes(line)) return;
  const times = timesOf(f);
  f.samples = [...f.samples, line];
  f.sampleTimes = [...times, at];
}

/** Remembers one more signature of the address, up to MAX_SIGNATURES in all: in place. */
export function addSignature(f: NoticeFacts, sig: SignatureRef): void {
  const others = f.others ?? [];
  if (sig.id === f.signature.id || others.length >= MAX_SIGNATURES - 1 || others.some((o) => o.id === sig.id)) return;
  f.others = [...others, sig];
}

/** The sample times, one per sample (a sample without one, from an older row, counts as first seen). */
export function timesOf(f: Pick<NoticeFacts, 'samples' | 'sampleTimes' | 'firstSeen'>): number[] {
  return f.samples.map((_, i) => f.sampleTimes?.[i] ?? f.firstSeen);
}

/** What the catalogue says about the event's signature, copied (a rules reload must not change a queued notice). */
export function snapshotOf(event: DetectionEvent): SignatureSnapshot {
  const sig = event.verdict.signature;
  return { id: sig.id, title: sig.title, description: sig.description, references: [...sig.references], family: sig.family };
}

/** Facts of the same address (or exposed path) seen in two batches (stored + newly buffered), combined. */
export function combineFacts<F extends NoticeFacts>(a: F, b: F): F {
  const out: F = { ...a, hits: a.hits + b.hits, firstSeen: Math.min(a.firstSeen, b.firstSeen), lastSeen: Math.max(a.lastSeen, b.lastSeen), samples: [...a.samples], sampleTimes: timesOf(a) };
  if (a.hostQueuedAt === undefined || b.hostQueuedAt === undefined) delete out.hostQueuedAt;
  else out.hostQueuedAt = Math.min(a.hostQueuedAt, b.hostQueuedAt);
  const bTimes = timesOf(b);
  b.samples.forEach((s, i) => addSample(out, bTimes[i]!, s));
  for (const sig of [refOf(b.signature), ...(b.others ?? [])]) addSignature(out, sig);
  return out;
}

/** A snapshot as a digest lists it. */
export function refOf(s: SignatureSnapshot): SignatureRef {
  return { id: s.id, title: s.title, family: s.family ?? '' };
}

/** Adds newly buffered `facts` to a stored row; its samples only while it may still be sent (`keepSamples`). */
export function mergeIntoRow<F extends NoticeFacts>(box: Outbox, row: LatestNotice, facts: F, now: number, keepSamples: boolean): void {
  const stored: F = { ...facts, hits: row.hits, firstSeen: row.first_seen, lastSeen: row.last_seen, samples: parseSamples(row.samples) };
  const merged = combineFacts(stored, facts);
  box.merge(row.id, merged.hits, merged.firstSeen, merged.lastSeen, keepSamples ? merged.samples : null, now);
}
