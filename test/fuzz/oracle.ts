/**
 * The reference reading of a fuzz input: the top-level requests a correct HTTP/1.1 server could
 * see in the bytes, by our own lenient parser (`test/helpers/http1-parse.ts`): lenient exactly
 * where RFC 9110/9112 let a recipient accept (obs-fold, duplicate identical Content-Length,
 * Transfer-Encoding over Content-Length, HTTP/0.9), so that no correct server sees a request
 * this list lacks. Reading stops where a correct server must stop: a framing error, a tunnel
 * (CONNECT), HTTP/0.9, or framing the RFC calls faulty.
 */
import { parseAll, type Refusal } from '../helpers/http1-parse.js';

export interface TopLevelRequest {
  method: string;
  target: string;
  version: string;
  /** The one X-Fuzz-Id value, if exactly one. */
  fuzzId: string | undefined;
  /** Whether a correct server must (or may) refuse it, and why. */
  refuse: Refusal;
  issues: string[];
  /** The whole message arrived (head and body). */
  complete: boolean;
}

export interface Expectation {
  requests: TopLevelRequest[];
  /** A correct server must refuse at least one message of this input. */
  mustRefuse: boolean;
  /** Where and why a correct server stops reading requests; undefined if it reads to the end. */
  stop: { reason: string; offset: number } | undefined;
  /** How many answers (or a close) the server owes: one per request, one for an error or partial head. */
  owed: number;
}

export function expectationOf(bytes: Buffer): Expectation {
  // No size bounds: the RFCs set none, so a correct server may accept any size.
  const unbounded = Number.MAX_SAFE_INTEGER;
  const p = parseAll(bytes, { lenient: true, bareLf: true, maxHeadBytes: unbounded, maxChunkLine: unbounded, maxBodyRecord: 0 });
  const requests: TopLevelRequest[] = p.requests.map((r) => {
    const ids = r.fields.filter(([n]) => n === 'x-fuzz-id');
    return {
      method: r.method,
      target: r.target,
      version: r.version,
      fuzzId: ids.length === 1 ? ids[0]![1] : undefined,
      refuse: r.rejected ? 'must' : r.refuse,
      issues: r.rejected && p.error !== undefined ? [...r.issues, p.error.code] : r.issues,
      complete: r.complete,
    };
  });
  const stop = p.error !== undefined ? { reason: p.error.code, offset: p.error.offset } : p.stopped;
  const rejectedHead = p.requests.some((r) => r.rejected);
  const unanswered = (p.error !== undefined && !rejectedHead) || (p.stopped === undefined && p.midMessage && !p.requests.some((r) => !r.complete));
  return {
    requests,
    mustRefuse: p.error !== undefined || requests.some((r) => r.refuse === 'must'),
    stop,
    owed: requests.length + (unanswered ? 1 : 0),
  };
}

/**
 * The target as the origin should receive it: an absolute-form target is forwarded with its path
 * alone (RFC 9112 section 3.2.2), anything else byte for byte.
 */
export function originFormOf(target: string): string {
  const m = /^https?:\/\/[^/?#]*(.*)$/is.exec(target);
  if (m === null) return target;
  const rest = m[1]!;
  return rest.startsWith('/') ? rest : `/${rest}`;
}

/** Whether an origin request (method, target) is this top-level request as a proxy forwards it. */
export function sameRequest(top: Pick<TopLevelRequest, 'method' | 'target'>, method: string, target: string): boolean {
  return top.method === method && originFormOf(top.target) === target;
}
