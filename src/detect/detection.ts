import { responseVerdict } from './response.js';
import { sanitiseLine } from './sanitise.js';
import type { Engine, NormalisedRequest, Stage, Verdict } from './types.js';

/** The origin's answer to a request a 404-stage signature matched, when it decided the verdict. */
export interface Answer {
  status: number;
  /** True when what the request hunted for was served (`success: exposure`): a secret leaked. */
  exposure: boolean;
  /** The path as the origin resolved it (`servedPath`), sanitised and cut to 200 characters. */
  path: string;
}

/** What the proxy (or the log scanner) reports for each detection. Consumers must not block. */
export interface DetectionEvent {
  /** The client address (IPv4-mapped IPv6 normalised, after --trust-proxy). */
  ip: string;
  verdict: Verdict;
  at: Date;
  /** What wormwatch did: `blocked` (block mode, request stage) or `forwarded`/`observed`. */
  action: 'blocked' | 'forwarded' | 'observed';
  /** The request line as received, sanitised and truncated (same as verdict.evidence). */
  requestLine: string;
  /** 404-stage detections judged on the origin's answer (the proxy, a log line): what it was. */
  answer?: Answer;
}

/** Called synchronously on the request path: hand off (queue, count) and return at once. */
export type DetectionListener = (event: DetectionEvent) => void;

export type DetectionAction = DetectionEvent['action'];

/**
 * The one way a detection event is built, whoever judges (the proxy, `scan`, `check`, the
 * 404-storm detector): the verdict of one stage, and the request line sanitised once, as the
 * verdict's evidence (control and non-ASCII characters escaped, cut to EVIDENCE_MAX).
 */
export function detectionOf(engine: Engine, n: NormalisedRequest, stage: Stage, ip: string, at: Date, action: DetectionAction): DetectionEvent | null {
  const verdict = engine.match(n, stage);
  return verdict === null ? null : { ip, verdict, at, action, requestLine: verdict.evidence };
}

/**
 * The detection a 404-stage `verdict` makes of the origin's answer (`responseVerdict`): a probe
 * (404, or a refusal: 401, 403, 405), an exposure (a 2xx serving what was hunted for), or
 * nothing (the site's own resource, a redirect). `body`: the start of the body, when known.
 */
export function answerDetection(verdict: Verdict, n: NormalisedRequest, status: number, ip: string, at: Date, action: DetectionAction, body?: string | Uint8Array): DetectionEvent | null {
  const kind = responseVerdict(verdict.signature, status, body);
  if (kind === null) return null;
  const answer: Answer = { status, exposure: kind === 'exposure', path: sanitiseLine(servedPath(n), 200) };
  return { ip, verdict, at, action, requestLine: verdict.evidence, answer };
}

/**
 * The path the origin serves for `n`: the resolved path (dot segments removed, see MatchTarget)
 * without the query, runs of slashes made one (`//.env` is `/.env` to nginx, IIS and most
 * frameworks). A `?` decoded from `%3F` ends it early: keyed on it, a block covers more, never less.
 */
export function servedPath(n: NormalisedRequest): string {
  const resolved = typeof n.resolved === 'string' ? n.resolved : n.url;
  const q = resolved.indexOf('?');
  const path = q < 0 ? resolved : resolved.slice(0, q);
  return path.includes('//') ? path.replace(/\/{2,}/g, '/') : path;
}

/** A verdict, and the answer that decided it when the 404 stage did on a known status. */
export interface Judgement {
  verdict: Verdict;
  answer?: Answer;
}

/**
 * The verdict on a request whose answer is known (a log line) or not (`check` without
 * `--status`): the request stage first; then the 404 stage, judged on the status by the
 * signature's `response` semantics (`answerDetection`); with no status known, as if it were 404.
 */
export function judge(engine: Engine, n: NormalisedRequest, status: number | null | undefined): Judgement | null {
  const request = engine.match(n, 'request');
  if (request !== null) return { verdict: request };
  const hunt = engine.match(n, '404');
  if (hunt === null) return null;
  if (status === undefined || status === null) return { verdict: hunt };
  const event = answerDetection(hunt, n, status, '', new Date(0), 'observed');
  return event === null ? null : { verdict: hunt, ...(event.answer ? { answer: event.answer } : {}) };
}
