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
 * when nothing matches there and the logged status is 404, the 404 stage. User-Agent and Referer
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
  const verdict = judge(engine, normalised, record.status ?? 0);
  const event: DetectionEvent | null = verdict ? { ip: record.ip, verdict, at, action: 'observed', requestLine: verdict.evidence } : null;
  return { event, normalised, at };
}
