import type { IncomingMessage } from 'node:http';
import type { Engine, NormalisedRequest, Stage, Verdict } from '../detect/types.js';
import { detectionOf, type DetectionAction, type DetectionListener } from '../detect/detection.js';
import type { Logger } from '../log.js';

export type { DetectionAction } from '../detect/detection.js';

/** What the proxy needs to report detections; one per proxy, no per-request state. */
export interface Inspector {
  /** Normalises once; the result is reused for the 404 stage. */
  normalise(req: IncomingMessage): NormalisedRequest;
  /** Matches one stage; on a hit reports it and returns the verdict. */
  inspect(ip: string, n: NormalisedRequest, stage: Stage, action: DetectionAction): Verdict | null;
}

export function createInspector(engine: () => Engine, onDetection: DetectionListener, logger: Logger): Inspector {
  return {
    normalise(req) {
      return engine().normalise({ method: req.method ?? 'GET', target: req.url ?? '/', headers: req.headers });
    },
    inspect(ip, n, stage, action) {
      const event = detectionOf(engine(), n, stage, ip, new Date(), action);
      if (event === null) return null;
      try {
        onDetection(event);
      } catch (err) {
        // A listener bug must not turn a detection into a failed request.
        logger.error({ err }, 'detection listener threw');
      }
      return event.verdict;
    },
  };
}
