import type { Engine, NormalisedRequest, Stage, Verdict } from './types.js';

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
 * The verdict on a request whose answer is known (a log line) or not (`check` without
 * `--status`): the request stage first; then, when the answer was 404 or is unknown, the 404
 * stage.
 */
export function judge(engine: Engine, n: NormalisedRequest, status: number | null | undefined): Verdict | null {
  const request = engine.match(n, 'request');
  if (request !== null) return request;
  return status === undefined || status === 404 ? engine.match(n, '404') : null;
}
