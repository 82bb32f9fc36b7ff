import { LRUCache } from 'lru-cache';
import type { DetectionEvent } from './detection.js';
import { EVIDENCE_MAX } from './engine.js';
import { sanitiseLine } from './sanitise.js';
import type { NormalisedRequest, Signature } from './types.js';

/**
 * The 404-storm detector: an address that draws more than `threshold` distinct 404 paths within
 * `windowMs` is a scanner, even when no single request matches a signature (the behaviour
 * CrowdSec's `http-probing` and BunkerWeb's "bad behaviour" ban on). Pure apart from its bounded
 * memory: the caller passes the time, so the proxy (wall clock) and `wormwatch scan` (the log's
 * timestamps) share it.
 */
export interface StormOptions {
  /** Distinct 404 paths an address may draw within the window; one more makes it a scanner. Default 10. */
  threshold: number;
  /** Sliding window, in milliseconds. Default 60 000. */
  windowMs: number;
  /** Paths that never count (see `isIgnored`). Default `DEFAULT_STORM_IGNORE`. */
  ignore: readonly string[];
  /** Most addresses tracked at once; the least recently seen are dropped. Default 10 000. */
  maxAddresses: number;
}

/** Files browsers, crawlers and ACME clients ask for whether or not a site has them. */
export const DEFAULT_STORM_IGNORE: readonly string[] = [
  'favicon.ico',
  'robots.txt',
  'apple-touch-icon*.png',
  'sitemap.xml',
  'ads.txt',
  '.well-known/',
];

export const STORM_DEFAULTS: StormOptions = { threshold: 10, windowMs: 60_000, ignore: DEFAULT_STORM_IGNORE, maxAddresses: 10_000 };

/** Synthetic signature carried by storm detections, so metrics, offenders and notices treat them like any other. */
export const STORM_SIGNATURE: Signature = {
  id: 'http-404-storm',
  family: 'scanner',
  title: 'Burst of requests for missing pages (404 storm)',
  description:
    'The address asked for many different pages that do not exist within a short time. Vulnerability ' +
    'scanners and worms do this when they try a list of known-vulnerable paths (admin panels, backup files, ' +
    'web shells) one after another. No single request proves it, the pattern does. If this host is yours, ' +
    'look for a scanner or an infected program running on it (check cron jobs, recently started processes ' +
    'and outgoing connections), stop it, and change the credentials stored on the machine.',
  references: [
    'CrowdSec scenario crowdsecurity/http-probing',
    'BunkerWeb bad behaviour (USE_BAD_BEHAVIOR)',
  ],
  stage: '404',
  stageReason: 'Only the origin knows whether a path exists; the evidence is the count of 404 answers.',
  // Never matches text: storm verdicts come from counting, not from the engine.
  match: { target: 'path', pattern: '[^\\s\\S]' },
  examples: { positive: [], negative: [] },
};

interface AddressState {
  /** FNV-1a hashes of recent distinct 404 paths → when last seen (ms), oldest first. */
  paths: Map<number, number>;
  /** When this address was last reported (ms), or -Infinity. */
  reportedAt: number;
}

export interface StormDetector {
  /** Feeds one 404 answer; returns a detection the first time the address crosses the threshold in a window. */
  observe(ip: string, request: NormalisedRequest, at: Date): DetectionEvent | null;
  /** Addresses currently tracked. */
  readonly size: number;
  clear(): void;
}

export function createStormDetector(options: Partial<StormOptions> = {}): StormDetector {
  const opts: StormOptions = { ...STORM_DEFAULTS, ...options };
  const ignored = compileIgnore(opts.ignore);
  // ttl bounds wall-clock memory; window logic itself uses the caller's `at`.
  const states = new LRUCache<string, AddressState>({ max: opts.maxAddresses, ttl: Math.max(opts.windowMs, 1) });

  function observe(ip: string, request: NormalisedRequest, at: Date): DetectionEvent | null {
    if (ignored(request.path)) return null;
    const now = at.getTime();
    let state = states.get(ip);
    // A jump back in time of more than a window (logs read newest file first) starts afresh.
    if (!state || now < latestOf(state) - opts.windowMs) state = { paths: new Map(), reportedAt: -Infinity };
    forgetOlderThan(state.paths, now - opts.windowMs);
    const hash = fnv1a(request.path);
    state.paths.delete(hash);
    state.paths.set(hash, now);
    // Per-address bound: one more than the threshold is all the decision needs.
    while (state.paths.size > opts.threshold + 1) state.paths.delete(state.paths.keys().next().value as number);
    states.set(ip, state);
    if (state.paths.size <= opts.threshold || now - state.reportedAt < opts.windowMs) return null;
    state.reportedAt = now;
    return stormEvent(ip, request, at, state.paths.size, opts.windowMs);
  }

  return {
    observe,
    get size() {
      return states.size;
    },
    clear: () => states.clear(),
  };
}

function stormEvent(ip: string, request: NormalisedRequest, at: Date, distinct: number, windowMs: number): DetectionEvent {
  // Sanitised once here, as detectionOf does for a signature's verdict.
  const requestLine = sanitiseLine(`${request.method} ${request.received ?? request.raw}`, EVIDENCE_MAX);
  const evidence = sanitiseLine(`${distinct} distinct 404 paths within ${Math.round(windowMs / 1000)}s, last ${requestLine}`, EVIDENCE_MAX);
  return { ip, at, action: 'observed', requestLine, verdict: { signature: STORM_SIGNATURE, stage: '404', evidence } };
}

function latestOf(state: AddressState): number {
  let latest = state.reportedAt;
  for (const seen of state.paths.values()) latest = Math.max(latest, seen);
  return latest;
}

function forgetOlderThan(paths: Map<number, number>, cutoff: number): void {
  for (const [hash, seen] of paths) {
    if (seen > cutoff) return; // insertion order is time order
    paths.delete(hash);
  }
}

/**
 * Ignore entries: `*` matches within one path segment. An entry without `/` is matched against the
 * last segment (`favicon.ico` also ignores `/blog/favicon.ico`); one with `/` against the whole
 * path without its leading `/`, and a trailing `/` makes it a prefix (`.well-known/`).
 */
export function compileIgnore(entries: readonly string[]): (path: string) => boolean {
  const whole: string[] = [];
  const last: string[] = [];
  for (const raw of entries) {
    const entry = raw.trim().toLowerCase().replace(/^\/+/, '');
    const prefix = entry.endsWith('/');
    const body = entry.split('*').map(escapeRegex).join('[^/]*');
    (entry.includes('/') ? whole : last).push(`${body}${prefix ? '' : '$'}`);
  }
  // One alternation per kind: a 404 costs two native searches however many entries there are.
  const wholeRe = whole.length > 0 ? new RegExp(`^(?:${whole.join('|')})`) : null;
  const lastRe = last.length > 0 ? new RegExp(`^(?:${last.join('|')})`) : null;
  return (path) => {
    const lower = path.toLowerCase();
    const p = lower.charCodeAt(0) === 47 ? lower.replace(/^\/+/, '') : lower;
    return (wholeRe !== null && wholeRe.test(p)) || (lastRe !== null && lastRe.test(p.slice(p.lastIndexOf('/') + 1)));
  };
}

function escapeRegex(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

/** 32-bit FNV-1a: keeps a path's identity in 8 bytes instead of the path itself. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
