/**
 * The fuzz report: figures, and for each invariant the first few failing inputs with their
 * category, seed, index and bytes escaped so they can be pasted into a regression test.
 * Escapes: `\r \n \t`, `\xNN` for other bytes outside printable ASCII, and a run of 16 or more
 * of one character as `{C×N}` (CodeRed's N's, 9 KiB prefixes).
 */
import { bytesOf, type FuzzInput } from './generator.js';

export const INVARIANTS = ['crashed', 'hung', 'smuggled', 'desynchronised', 'passedThrough', 'leaked', 'uncounted'] as const;
export type Invariant = (typeof INVARIANTS)[number];

export interface Failure {
  category: string;
  seed: number;
  index: number;
  bytes: string;
  detail: string;
}

export interface FuzzReport {
  seed: number;
  inputs: number;
  durationMs: number;
  concurrency: number;
  categories: Record<string, number>;
  responsesByStatus: Record<string, number>;
  /** Inputs whose connection the server closed (or reset). */
  closes: number;
  /** Inputs the client reset itself (aborted uploads). */
  clientResets: number;
  /** Input count a correct server must refuse, and those of them the origin still saw a request of. */
  mustRefuse: number;
  origin: { connections: number; requests: number; rejections: number; parseErrors: number; openAtEnd: number };
  counters: { forwarded: number; blocked: number; error: number; upstreamErrors: number; complete: boolean };
  /** Open descriptors of the wormwatch process after start-up and at the end. */
  fds: { start: number | undefined; end: number | undefined };
  /** How many of each invariant failed (0 everywhere when all hold). */
  counts: Record<Invariant, number>;
  /** The same by sub-kind, where there are several. */
  kinds: Record<Invariant, Record<string, number>>;
  /** The first few failures of each invariant. */
  failures: Record<Invariant, Failure[]>;
  /** Findings that are not invariants: origin parse errors, requests forwarded although a correct server must refuse them. */
  notes: Record<string, Failure[]>;
  noteCounts: Record<string, number>;
}

/** How many failures of one invariant are kept for the report (different categories first). */
export const KEEP_FAILURES = 5;
const MAX_ESCAPED = 600;

export function escapeBytes(bytes: Buffer | string, max = MAX_ESCAPED): string {
  const s = typeof bytes === 'string' ? bytes : bytes.toString('latin1');
  let out = '';
  for (let i = 0; i < s.length && out.length < max; ) {
    let run = 1;
    while (i + run < s.length && s[i + run] === s[i]) run++;
    const one = escapeChar(s.charCodeAt(i));
    if (run >= 16) out += `{${one}×${run}}`;
    else out += one.repeat(run);
    i += run;
  }
  return out.length >= max ? `${out.slice(0, max)}…(${s.length} bytes)` : out;
}

function escapeChar(c: number): string {
  if (c === 0x0d) return '\\r';
  if (c === 0x0a) return '\\n';
  if (c === 0x09) return '\\t';
  if (c === 0x5c) return '\\\\';
  if (c < 0x20 || c >= 0x7f) return `\\x${c.toString(16).padStart(2, '0')}`;
  return String.fromCharCode(c);
}

/** Collects failures by kind, keeping the first few of each and counting all. */
export class FailureLog<K extends string> {
  readonly kept = {} as Record<K, Failure[]>;
  readonly counts = {} as Record<K, number>;
  /** Counts by sub-kind (how a request was smuggled, which view caught a pass-through...). */
  readonly kinds = {} as Record<K, Record<string, number>>;
  /** The category/sub-kind of each kept failure. */
  private readonly keys = new WeakMap<Failure, string>();

  constructor(kinds: readonly K[], private readonly keep = KEEP_FAILURES) {
    for (const k of kinds) {
      this.kept[k] = [];
      this.counts[k] = 0;
      this.kinds[k] = {};
    }
  }

  /** Counts `n` failures of `kind` (and of `sub`, if given), keeping this one as their example. */
  add(kind: K, input: FuzzInput | undefined, detail: string, n = 1, sub?: string): void {
    this.counts[kind] = (this.counts[kind] ?? 0) + n;
    if (sub !== undefined) {
      const kinds: Record<string, number> = this.kinds[kind];
      kinds[sub] = (kinds[sub] ?? 0) + n;
    }
    const list = (this.kept[kind] ??= []);
    const key = `${input?.category ?? '-'}/${sub ?? ''}`;
    const keys = list.map((f) => this.keys.get(f));
    // Full: a failure of a category and sub-kind not yet shown replaces a repeated one (variety first).
    const at = list.length < this.keep ? list.length : keys.includes(key) ? -1 : keys.findLastIndex((k, i) => keys.indexOf(k) !== i);
    if (at < 0) return;
    const failure: Failure =
      input === undefined
        ? { category: '-', seed: 0, index: -1, bytes: '', detail }
        : { category: input.category, seed: input.seed, index: input.index, bytes: escapeBytes(bytesOf(input)), detail };
    list[at] = failure;
    this.keys.set(failure, key);
  }
}

/** The figures on one line. */
export function summaryLine(r: FuzzReport): string {
  const statuses = Object.entries(r.responsesByStatus)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([s, n]) => `${s}:${n}`)
    .join(' ');
  const c = r.counts;
  return (
    `fuzz seed=${r.seed} inputs=${r.inputs} in ${(r.durationMs / 1000).toFixed(1)}s | responses ${statuses} | closes=${r.closes} resets=${r.clientResets} | ` +
    `crashed=${c.crashed} hung=${c.hung} smuggled=${c.smuggled} desynchronised=${c.desynchronised} passedThrough=${c.passedThrough} ` +
    `leaked=${c.leaked} uncounted=${c.uncounted} | origin requests=${r.origin.requests} parseErrors=${r.origin.parseErrors} ` +
    (r.counters.complete
      ? `forwarded=${r.counters.forwarded} blocked=${r.counters.blocked} error=${r.counters.error}`
      : 'counters incomplete (wormwatch restarted)') +
    ` | notes ${Object.entries(r.noteCounts).map(([k, n]) => `${k}=${n}`).join(' ')}`
  );
}

/** One invariant's failures, short enough to act on. */
export function describeFailures(r: FuzzReport, kind: Invariant): string {
  const list = r.failures[kind];
  const lines = list.map((f) => `  #${f.index} [${f.category}] seed ${f.seed}: ${f.detail}\n    bytes: ${f.bytes}`);
  const kinds = Object.entries(r.kinds[kind]).map(([k, n]) => `${k}: ${n}`).join(', ');
  return `${r.counts[kind]} ${kind}${kinds === '' ? '' : ` (${kinds})`}, first ${list.length}:\n${lines.join('\n')}`;
}
