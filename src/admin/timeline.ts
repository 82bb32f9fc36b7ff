/** Minutes of history the admin page's chart shows. */
export const TIMELINE_MINUTES = 60;
/** Families kept per minute; more are added up as `other` (families are a short list anyway). */
export const TIMELINE_FAMILIES_MAX = 16;

const MINUTE_MS = 60_000;

interface Bucket {
  /** Epoch minute (ms / 60 000) this bucket holds, or -1 when unused. */
  minute: number;
  requests: number;
  detections: Map<string, number>;
}

/** One minute of the chart. */
export interface MinutePoint {
  at: Date;
  requests: number;
  /** Detections by family. */
  detections: Record<string, number>;
}

/**
 * Requests and detections per minute over the last hour, for the admin page's chart: a ring of
 * TIMELINE_MINUTES buckets, so memory is fixed whatever the traffic. Requests come as samples of
 * the proxy's running total (`sampleRequests`), so the request path does nothing for it;
 * detections are counted as the hub hears them. Pure: the caller supplies every time.
 */
export class Timeline {
  readonly #ring: Bucket[] = Array.from({ length: TIMELINE_MINUTES }, () => ({ minute: -1, requests: 0, detections: new Map() }));
  #lastTotal: number | null = null;

  detection(family: string, at: number): void {
    const counts = this.#bucket(at).detections;
    const key = counts.has(family) || counts.size < TIMELINE_FAMILIES_MAX ? family : 'other';
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }

  /** The proxy's requests counted so far (all outcomes); the rise since the last sample is this minute's. */
  sampleRequests(total: number, at: number): void {
    if (this.#lastTotal !== null && total >= this.#lastTotal) this.#bucket(at).requests += total - this.#lastTotal;
    // A total that fell (a worker replaced, its counts gone) restarts the sampling.
    this.#lastTotal = total;
  }

  /** The last TIMELINE_MINUTES minutes up to `now`, oldest first, minutes without traffic included. */
  view(now: number): MinutePoint[] {
    const last = Math.floor(now / MINUTE_MS);
    const out: MinutePoint[] = [];
    for (let m = last - TIMELINE_MINUTES + 1; m <= last; m++) {
      const b = this.#ring[m % TIMELINE_MINUTES]!;
      const live = b.minute === m;
      out.push({ at: new Date(m * MINUTE_MS), requests: live ? b.requests : 0, detections: live ? Object.fromEntries(b.detections) : {} });
    }
    return out;
  }

  #bucket(at: number): Bucket {
    const minute = Math.floor(at / MINUTE_MS);
    const b = this.#ring[((minute % TIMELINE_MINUTES) + TIMELINE_MINUTES) % TIMELINE_MINUTES]!;
    if (b.minute !== minute) {
      b.minute = minute;
      b.requests = 0;
      b.detections = new Map();
    }
    return b;
  }
}
