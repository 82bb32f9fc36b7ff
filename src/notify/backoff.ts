/**
 * Retry delay after `attempts` failed tries (1 = the first failure): exponential from `base`,
 * capped at `max`, with "equal jitter" (half fixed, half random) so a burst of failures after an
 * SMTP outage does not retry in lock-step yet never retries sooner than half the nominal delay.
 * `random` is injected so the function is pure.
 */
export function retryDelay(attempts: number, base: number, max: number, random: number): number {
  const exp = Math.min(max, base * 2 ** Math.max(0, Math.min(attempts - 1, 40)));
  return Math.round(exp / 2 + (exp / 2) * Math.min(Math.max(random, 0), 1));
}

export type SendOutcome =
  | { kind: 'sent'; reply: string }
  | { kind: 'retry'; at: number; reason: string }
  | { kind: 'failed'; reason: string };

export interface SendError {
  responseCode?: number;
  response?: string;
  code?: string;
  message: string;
}

/**
 * What to do after a send attempt failed. A 5xx reply is permanent (kept as the reason); 4xx,
 * connection errors and time-outs are retried until `deadline`, then failed.
 */
export function afterFailure(err: SendError, attempts: number, now: number, deadline: number, o: { base: number; max: number; random: number }): SendOutcome {
  const reply = oneLine(err.response ?? `${err.code ?? 'ERROR'} ${err.message}`);
  if (err.responseCode !== undefined && err.responseCode >= 500 && err.responseCode < 600) return { kind: 'failed', reason: reply };
  const at = now + retryDelay(attempts, o.base, o.max, o.random);
  if (at > deadline) return { kind: 'failed', reason: `gave up after ${attempts} attempts (max age): ${reply}` };
  return { kind: 'retry', at, reason: reply };
}

function oneLine(s: string): string {
  return s.replace(/[\x00-\x1f\x7f]+/g, ' ').trim().slice(0, 500);
}
