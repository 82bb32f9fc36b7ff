import { judge, type DetectionEvent } from '../detect/detection.js';
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
  const headers: Record<string, string> = {};
  if (record.userAgent !== undefined) headers['user-agent'] = record.userAgent;
  if (record.referer !== undefined) headers['referer'] = record.referer;
  const view: RequestView = { method: record.method, target: record.target, headers };
  const normalised = engine.normalise(view);
  const at = record.at ?? fallbackTime();
  // A log always says the answer; a line that does not (`-`) is judged at the request stage only.
  const judged = judge(engine, normalised, record.status ?? 0);
  const event: DetectionEvent | null = judged
    ? { ip: record.ip, verdict: judged.verdict, at, action: 'observed', requestLine: judged.verdict.evidence, ...(judged.answer ? { answer: judged.answer } : {}) }
    : null;
  return { event, normalised, at };
}
