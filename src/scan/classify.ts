import { judge, type DetectionEvent, type Judgement } from '../detect/detection.js';
import type { Engine, NormalisedRequest, RequestView } from '../detect/types.js';
import type { LogRecord } from './record.js';

export interface Classified {
  /** The signature detection, if any. */
  event: DetectionEvent | null;
  normalised: NormalisedRequest;
  at: Date;
}

/**
 * Judges one logged request the way the proxy judges a live one: the request stage first and,
 * when nothing matches there, the 404 stage on the logged status (a hunt answered 404, 401, 403
 * or 405 is a probe; a secret answered 2xx is an exposure: the log has no body to confirm it). User-Agent and Referer
 * are the only headers a log keeps; they go to header inspection like live headers.
 */
export function classifyRecord(engine: Engine, record: LogRecord, fallbackTime: () => Date): Classified {
  const { normalised, judged } = judgeRecord(engine, record);
  return classified(record, normalised, judged, fallbackTime);
}

interface Judged {
  normalised: NormalisedRequest;
  judged: Judgement | null;
}

function judgeRecord(engine: Engine, record: LogRecord): Judged {
  const headers: Record<string, string> = {};
  if (record.userAgent !== undefined) headers['user-agent'] = record.userAgent;
  if (record.referer !== undefined) headers['referer'] = record.referer;
  const view: RequestView = { method: record.method, target: record.target, headers };
  const normalised = engine.normalise(view);
  // A log always says the answer; a line that does not (`-`) is judged at the request stage only.
  return { normalised, judged: judge(engine, normalised, record.status ?? 0) };
}

function classified(record: LogRecord, normalised: NormalisedRequest, judged: Judgement | null, fallbackTime: () => Date): Classified {
  const at = record.at ?? fallbackTime();
  if (judged === null) return { event: null, normalised, at };
  // The verdict and answer are copied: a judgement from the cache below serves many events.
  const event: DetectionEvent = { ip: record.ip, verdict: { ...judged.verdict }, at, action: 'observed', requestLine: judged.verdict.evidence };
  if (judged.answer) event.answer = { ...judged.answer };
  return { event, normalised, at };
}

/**
 * Bounds of the cache: targets, judgements kept per target (the same page asked for with other
 * User-Agents, Referers or answers), the longest request (target, method, User-Agent, Referer)
 * kept with others, and the few long ones (a worm's 8 KiB overflow payload, logged identically
 * from every infected host). Kept strings are copies, so no log line is held through a slice of
 * it. At worst about 1,024 × 4 × 6 KiB (request and its normalised views) + 16 × 80 KiB (a long
 * request and the 64 KiB line it came from) = 26 MiB.
 */
export const JUDGEMENT_CACHE = { targets: 1_024, variants: 4, requestChars: 1_024, longEntries: 16, longChars: 16_384 };

/** A judgement of one request, with what besides the target it depends on. */
interface Variant {
  status: number | null;
  method: string;
  userAgent: string | undefined;
  referer: string | undefined;
  judged: Judged;
}

/** The judgements of one target, most recently used first. */
interface Bucket {
  key: string;
  variants: Variant[];
}

/**
 * `classifyRecord` with the judgements of recent distinct requests remembered: a log repeats
 * itself (a worm's sweep is the same requests from thousands of hosts, a site's pages and assets
 * the same requests from every visitor: 50 to 85% of the corpus's requests repeat one of the last
 * thousand), and a judgement depends only on the request (method, target, User-Agent, Referer,
 * status) and on the engine, which is pure: a new engine (a rules reload) empties the cache. The
 * address and time are each line's own. Looked up by the target, then compared field by field:
 * cheaper than building and hashing a key of all five.
 */
export class RecordClassifier {
  #engine: Engine | null = null;
  readonly #short = new Generations<Bucket>(JUDGEMENT_CACHE.targets);
  /** Most recently used first. */
  readonly #long: Array<{ record: LogRecord; judged: Judged }> = [];

  get size(): number {
    return this.#short.size + this.#long.length;
  }

  classify(engine: Engine, record: LogRecord, fallbackTime: () => Date): Classified {
    if (engine !== this.#engine) {
      this.#short.clear();
      this.#long.length = 0;
      this.#engine = engine;
    }
    const length = record.method.length + record.target.length + (record.userAgent?.length ?? 0) + (record.referer?.length ?? 0);
    let entry: Judged;
    if (length <= JUDGEMENT_CACHE.requestChars) entry = this.#shortJudgement(engine, record);
    else if (length <= JUDGEMENT_CACHE.longChars) entry = this.#longJudgement(engine, record);
    else return classifyRecord(engine, record, fallbackTime);
    return classified(record, entry.normalised, entry.judged, fallbackTime);
  }

  #shortJudgement(engine: Engine, record: LogRecord): Judged {
    const bucket = this.#short.get(record.target);
    const variants = bucket?.variants;
    if (variants !== undefined) {
      for (let i = 0; i < variants.length; i++) {
        const v = variants[i]!;
        if (v.status !== record.status || v.method !== record.method || v.userAgent !== record.userAgent || v.referer !== record.referer) continue;
        if (i > 0) variants.unshift(...variants.splice(i, 1));
        return v.judged;
      }
    }
    const kept: LogRecord = { ...record, method: copied(record.method), target: copied(record.target) };
    if (record.userAgent !== undefined) kept.userAgent = copied(record.userAgent);
    if (record.referer !== undefined) kept.referer = copied(record.referer);
    const v: Variant = { status: kept.status, method: kept.method, userAgent: kept.userAgent, referer: kept.referer, judged: judgeRecord(engine, kept) };
    if (variants === undefined) this.#short.set(kept.target, { key: kept.target, variants: [v] });
    else if (variants.unshift(v) > JUDGEMENT_CACHE.variants) variants.pop();
    return v.judged;
  }

  #longJudgement(engine: Engine, record: LogRecord): Judged {
    const long = this.#long;
    let i = long.findIndex((e) => sameRequest(e.record, record));
    if (i < 0) {
      long.unshift({ record, judged: judgeRecord(engine, record) });
      if (long.length > JUDGEMENT_CACHE.longEntries) long.pop();
      i = 0;
    } else if (i > 0) {
      long.unshift(...long.splice(i, 1));
    }
    return long[0]!.judged;
  }
}

function sameRequest(a: LogRecord, b: LogRecord): boolean {
  return a.target === b.target && a.method === b.method && a.status === b.status && a.userAgent === b.userAgent && a.referer === b.referer;
}

/**
 * A copy of a string that shares no memory with it: V8 cuts substrings (regex captures, slices)
 * out of their line without copying, and one kept in the cache would keep its whole line.
 */
function copied(s: string): string {
  return s.length < 13 ? s : (JSON.parse(JSON.stringify(s)) as string);
}

/**
 * A bounded map that forgets the least recently used, nearly: entries go to a young generation;
 * when it holds half the bound it becomes the old one (the previous old one is dropped), and an
 * old entry used again moves back to the young. A hit costs one lookup, not an LRU's three.
 */
class Generations<V extends { key: string }> {
  #young = new Map<string, V>();
  #old = new Map<string, V>();

  constructor(private readonly max: number) {}

  get size(): number {
    return this.#young.size + this.#old.size;
  }

  get(key: string): V | undefined {
    const young = this.#young.get(key);
    if (young !== undefined) return young;
    const old = this.#old.get(key);
    // Moved under its own (copied) key, not the caller's.
    if (old !== undefined) this.set(old.key, old);
    return old;
  }

  set(key: string, value: V): void {
    this.#young.set(key, value);
    if (this.#young.size >= this.max / 2) {
      this.#old = this.#young;
      this.#young = new Map();
    }
  }

  clear(): void {
    this.#young.clear();
    this.#old.clear();
  }
}
