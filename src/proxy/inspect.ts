import type { IncomingMessage } from 'node:http';
import type { Engine, NormalisedRequest, RequestView, Stage, Verdict } from '../detect/types.js';
import { answerDetection, detectionOf, type DetectionAction, type DetectionEvent, type DetectionListener } from '../detect/detection.js';
import { BODY_HEAD_BYTES, needsBody } from '../detect/response.js';
import type { Logger } from '../log.js';
import { readBodyHead } from './body-head.js';

export type { DetectionAction } from '../detect/detection.js';

/** What the proxy needs to report detections; one per proxy, no per-request state. */
export interface Inspector {
  /** Normalises once; the result is reused for the 404 stage. */
  normalise(req: IncomingMessage): NormalisedRequest;
  /** Normalises a request line that is all there is (bytes that did not parse as HTTP). */
  normaliseView(view: RequestView): NormalisedRequest;
  /** Matches one stage; on a hit reports it and returns the verdict. */
  inspect(ip: string, n: NormalisedRequest, stage: Stage, action: DetectionAction): Verdict | null;
  /**
   * Judges the origin's answer (`status`, and the body when a signature's `confirm` needs it) to
   * a request a 404-stage signature matches, and reports the probe or exposure it makes. The body
   * is read as it streams to the client (`readBodyHead`), never held back.
   */
  answered(ip: string, n: NormalisedRequest, status: number, action: DetectionAction, body?: IncomingMessage): void;
}

export function createInspector(engine: () => Engine, onDetection: DetectionListener, logger: Logger): Inspector {
  const report = (event: DetectionEvent | null): void => {
    if (event === null) return;
    try {
      onDetection(event);
    } catch (err) {
      // A listener bug must not turn a detection into a failed request.
      logger.error({ err }, 'detection listener threw');
    }
  };
  return {
    normalise(req) {
      return engine().normalise({ method: req.method ?? 'GET', target: req.url ?? '/', headers: req.headers });
    },
    normaliseView(view) {
      return engine().normalise(view);
    },
    inspect(ip, n, stage, action) {
      const event = detectionOf(engine(), n, stage, ip, new Date(), action);
      report(event);
      return event?.verdict ?? null;
    },
    answered(ip, n, status, action, body) {
      // Cheap for ordinary traffic: the 404-stage candidates were found with the request stage's.
      const verdict = engine().match(n, '404');
      if (verdict === null) return;
      if (body === undefined || !needsBody(verdict.signature, status)) return report(answerDetection(verdict, n, status, ip, new Date(), action));
      // A HEAD answer has no body to confirm: read as the catch-all page it most often is.
      if (n.method === 'HEAD') return report(answerDetection(verdict, n, status, ip, new Date(), action, ''));
      readBodyHead(body, BODY_HEAD_BYTES, (head) => report(answerDetection(verdict, n, status, ip, new Date(), action, head)));
    },
  };
}
