import type { Verdict } from './types.js';

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
