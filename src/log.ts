import pino, { type DestinationStream, type Logger } from 'pino';
import type { DetectionEvent } from './detect/detection.js';

export type { Logger } from 'pino';

/**
 * Lines buffered while stdout is slower than the log (a stalled pipe, a log shipper that
 * stopped reading); past this, new lines are dropped rather than memory grown without bound.
 */
export const LOG_BUFFER_MAX = 16 * 1024 * 1024;

/**
 * One JSON object per line on stdout (or `destination`), so any log shipper can read it without
 * a parser of ours. Asynchronous writes: during a worm flood a synchronous write per line would
 * stall the event loop on the pipe. pino flushes what is buffered, synchronously, when the
 * process exits (`process.exit` after SIGTERM or SIGINT, an uncaught exception, the end of the
 * event loop), so a crash or a shutdown does not lose the line that explains it.
 */
export function createLogger(level: string = 'info', destination?: DestinationStream): Logger {
  return pino(
    { level, base: { name: 'wormwatch' }, timestamp: pino.stdTimeFunctions.isoTime },
    destination ?? pino.destination({ dest: 1, sync: false, maxLength: LOG_BUFFER_MAX }),
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

/** Longest wait for the log to drain before exiting anyway (a stdout nobody reads never drains). */
export const LOG_FLUSH_WAIT_MS = 2_000;

/**
 * Exits with `code` once the lines written so far are out. pino's own flush at exit writes the
 * buffered lines, but not a write already under way on the thread pool, which exiting can cut or
 * reorder; waiting for the stream's flush first leaves nothing for that.
 */
export function exitFlushed(logger: Logger, code: number): void {
  process.exitCode = code; // should the loop end first
  const timer = setTimeout(() => process.exit(code), LOG_FLUSH_WAIT_MS);
  timer.unref();
  try {
    logger.flush(() => process.exit(code));
  } catch {
    process.exit(code);
  }
}
