import type { ResponseRule, Signature } from './types.js';

/**
 * Response-stage semantics: what the origin's answer to a request that matched a 404-stage
 * signature means. Pure; the proxy (which sees the body) and the log scan (which sees only the
 * status) both call `responseVerdict`.
 */

/** How much of a response body `confirm` reads: the first 4 KiB, as latin1 bytes. */
export const BODY_HEAD_BYTES = 4096;

/** Answers that make a hunt a probe unless the signature says otherwise: refused or missing. */
export const DEFAULT_PROBE_STATUSES: readonly number[] = Object.freeze([401, 403, 404, 405]);

/** `probe`: the request was a hunt or probe; `exposure`: what it hunted for was served. */
export type ResponseVerdict = 'probe' | 'exposure' | null;

/** Compiled `confirm` patterns, per rule object (rules are immutable once validated). */
const confirmCache = new WeakMap<ResponseRule, RegExp | null>();

/**
 * The body text `confirm` is matched against: the first 4 KiB, read as latin1 (one character per
 * byte, so binary magic such as `PK\x03\x04` stays matchable), lower-cased.
 */
export function bodyHead(body: string | Uint8Array | undefined): string | undefined {
  if (body === undefined) return undefined;
  if (typeof body === 'string') return body.slice(0, BODY_HEAD_BYTES).toLowerCase();
  const n = Math.min(body.length, BODY_HEAD_BYTES);
  return Buffer.from(body.buffer, body.byteOffset, n).toString('latin1').toLowerCase();
}

/**
 * The verdict on a request that matched `signature`, given the origin's `status` and, when known,
 * the start of the body (`undefined` in a log scan: a 2xx of an exposure signature is then an
 * exposure, since nothing says it was a catch-all page).
 * - A request-stage signature is an attack whatever the answer: always `probe`.
 * - 2xx: `success: exposure` gives `exposure`, or `probe` when `confirm` is set and the body
 *   does not match it; `success: owned` (the default) gives null.
 * - Any other status: `probe` when it is in `probe` (default 401, 403, 404, 405) or `probe` is
 *   `any`; else null (a redirect to a login page, a server error: nothing to say).
 * A status that is not an integer from 100 to 599 gives null.
 */
export function responseVerdict(
  signature: Pick<Signature, 'stage' | 'response'>,
  status: number,
  body?: string | Uint8Array,
): ResponseVerdict {
  if (!Number.isInteger(status) || status < 100 || status > 599) return null;
  if (signature.stage === 'request') return 'probe';
  const rule = signature.response ?? {};
  if (status >= 200 && status < 300) {
    if (rule.success !== 'exposure') return null;
    const head = bodyHead(body);
    if (head === undefined || rule.confirm === undefined) return 'exposure';
    const re = confirmPattern(rule);
    return re === null || re.test(head) ? 'exposure' : 'probe';
  }
  const probe = rule.probe ?? DEFAULT_PROBE_STATUSES;
  return probe === 'any' || probe.includes(status) ? 'probe' : null;
}

/** Whether the verdict on `status` depends on the body: a 2xx to an exposure signature with a `confirm` pattern. */
export function needsBody(signature: Pick<Signature, 'stage' | 'response'>, status: number): boolean {
  return signature.stage === '404' && status >= 200 && status < 300 && signature.response?.success === 'exposure' && signature.response.confirm !== undefined;
}

/** The compiled `confirm`; null when it does not compile (validated rules always do), read as "cannot tell": exposure. */
function confirmPattern(rule: ResponseRule): RegExp | null {
  let re = confirmCache.get(rule);
  if (re === undefined) {
    try {
      re = new RegExp(rule.confirm ?? '');
    } catch {
      re = null;
    }
    confirmCache.set(rule, re);
  }
  return re;
}
