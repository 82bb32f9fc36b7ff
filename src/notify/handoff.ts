import type { DetectionEvent } from '../detect/detection.js';
import { MAX_SAMPLES, type NoticeFacts } from './types.js';
import { mergeHit } from './render.js';

/** Most distinct addresses waiting in the hand-off buffer; beyond it, hits are counted as suppressed. */
export const HANDOFF_MAX = 10_000;

/**
 * The in-memory hand-off between the request path and the outbox: one merged entry per address,
 * so a thousand hits from one address cost one map entry and one SQLite write. Bounded by
 * HANDOFF_MAX addresses; `add` is O(1) and never does I/O. While the outbox cannot be written
 * (a full or read-only disk), what was taken is put back here, so nothing is lost that fits.
 */
export class Handoff {
  private entries = new Map<string, NoticeFacts>();

  constructor(private readonly max = HANDOFF_MAX) {}

  get size(): number {
    return this.entries.size;
  }

  /** False when the buffer is full and the hit was not kept. */
  add(event: DetectionEvent): boolean {
    const at = event.at.getTime();
    const cur = this.entries.get(event.ip);
    if (cur) {
      // In place: this buffer owns its entries, and this runs on the request path.
      cur.hits++;
      if (at > cur.lastSeen) cur.lastSeen = at;
      if (at < cur.firstSeen) cur.firstSeen = at;
      if (cur.samples.length < MAX_SAMPLES) cur.samples = mergeHit(cur, at, event.requestLine).samples;
      return true;
    }
    if (this.entries.size >= this.max) return false;
    const sig = event.verdict.signature;
    this.entries.set(event.ip, {
      ip: event.ip,
      signature: { id: sig.id, title: sig.title, description: sig.description, references: [...sig.references] },
      firstSeen: at,
      lastSeen: at,
      hits: 1,
      // The request line was sanitised once, when the detection was built.
      samples: [event.requestLine],
    });
    return true;
  }

  /**
   * Returns entries a failed write had taken, merged with hits that came meanwhile. Returns how
   * many addresses did not fit (the buffer filled up with new ones in the meantime).
   */
  putBack(batch: readonly NoticeFacts[]): number {
    let lost = 0;
    for (const facts of batch) {
      const cur = this.entries.get(facts.ip);
      if (cur) this.entries.set(facts.ip, combineFacts(facts, cur));
      else if (this.entries.size < this.max) this.entries.set(facts.ip, facts);
      else lost++;
    }
    return lost;
  }

  /** Removes and returns up to `n` entries, oldest first. */
  take(n: number): NoticeFacts[] {
    const out: NoticeFacts[] = [];
    for (const [ip, facts] of this.entries) {
      if (out.length >= n) break;
      out.push(facts);
      this.entries.delete(ip);
    }
    return out;
  }
}

/** Facts of the same address seen in two batches (stored + newly buffered), combined. */
export function combineFacts(a: NoticeFacts, b: NoticeFacts): NoticeFacts {
  const samples = [...a.samples];
  for (const s of b.samples) if (samples.length < MAX_SAMPLES && !samples.includes(s)) samples.push(s);
  return {
    ...a,
    hits: a.hits + b.hits,
    firstSeen: Math.min(a.firstSeen, b.firstSeen),
    lastSeen: Math.max(a.lastSeen, b.lastSeen),
    samples,
  };
}
