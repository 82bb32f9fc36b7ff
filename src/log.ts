import pino, { type DestinationStream, type Logger } from 'pino';
import type { DetectionEvent } from './detect/detection.js';

export type { Logger } from 'pino';

/**
 * One JSON object per line on stdout (or `destination`), so any log shipper can read it without
 * a parser of ours. Synchronous writes: detections are rare next to requests, and a crash must
 * not lose the line that explains it.
 */
export function createLogger(level: string = 'info', destination?: DestinationStream): Logger {
  return pino(
    { level, base: { name: 'wormwatch' }, timestamp: pino.stdTimeFunctions.isoTime },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** The fields of the one log line written per detection (also what dashboards grep for). */
export function detectionLogFields(event: DetectionEvent): Record<string, string | number> {
  const { signature, stage } = event.verdict;
  const answer = event.answer;
  return {
    event: answer?.exposure ? 'exposure' : 'detection',
    ip: event.ip,
    signature: signature.id,
    family: signature.family,
    stage,
    action: event.action,
    request: event.requestLine,
    ...(answer ? { status: answer.status, path: answer.path } : {}),
  };
}
