import type { DetectionEvent } from '../detect/detection.js';

/** Paths remembered; past it the one exposed longest ago is forgotten (its metric and log lines stay). */
export const EXPOSURES_MAX = 1_000;
/** Addresses kept per path; more are only counted. */
export const EXPOSURE_SOURCES_MAX = 50;

/** One path that served what a hunt looked for. */
export interface Exposure {
  path: string;
  signature: string;
  /** The last status it was served with. */
  status: number;
  firstSeen: Date;
  lastSeen: Date;
  hits: number;
  /** Distinct addresses it was served to, the first EXPOSURE_SOURCES_MAX of them. */
  sources: string[];
  /** Hits from addresses beyond those (not told apart: that would need them all kept). */
  moreSources: number;
}

interface Entry extends Omit<Exposure, 'sources' | 'firstSeen' | 'lastSeen'> {
  sources: Set<string>;
  firstSeen: number;
  lastSeen: number;
}

/**
 * The exposures seen since start, by path, for `GET /exposures` and the admin page: what was
 * served, to whom, how often. Bounded (EXPOSURES_MAX paths × EXPOSURE_SOURCES_MAX addresses);
 * the durable record is the error log line, the metric and the operator's mail.
 */
export class ExposureLog {
  readonly #byPath = new Map<string, Entry>();

  record(event: DetectionEvent): void {
    const answer = event.answer;
    if (answer === undefined || !answer.exposure) return;
    const at = event.at.getTime();
    let e = this.#byPath.get(answer.path);
    if (e === undefined) {
      e = { path: answer.path, signature: event.verdict.signature.id, status: answer.status, firstSeen: at, lastSeen: at, hits: 0, sources: new Set(), moreSources: 0 };
      if (this.#byPath.size >= EXPOSURES_MAX) this.#byPath.delete(this.#byPath.keys().next().value!);
    } else this.#byPath.delete(answer.path);
    this.#byPath.set(answer.path, e);
    e.hits++;
    e.status = answer.status;
    e.lastSeen = Math.max(e.lastSeen, at);
    if (!e.sources.has(event.ip)) {
      if (e.sources.size < EXPOSURE_SOURCES_MAX) e.sources.add(event.ip);
      else e.moreSources++;
    }
  }

  /** Newest first. */
  list(): Exposure[] {
    return [...this.#byPath.values()].reverse().map((e) => ({ ...e, firstSeen: new Date(e.firstSeen), lastSeen: new Date(e.lastSeen), sources: [...e.sources] }));
  }

  get size(): number {
    return this.#byPath.size;
  }
}
