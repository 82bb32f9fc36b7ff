/**
 * One bounded GET with Node's own fetch (undici, built into Node 20): it streams the body, so a
 * cap can abort mid-transfer, and it adds no dependency.
 */

export const DEFAULT_MAX_BODY_BYTES = 512 * 1024;

export type FetchOutcome =
  | { kind: 'response'; status: number; location: string | null; retryAfter: string | null; body: string }
  | { kind: 'timeout' }
  | { kind: 'too-large' }
  | { kind: 'network'; message: string };

export interface FetchOptions {
  timeoutMs: number;
  maxBytes: number;
  userAgent: string;
  /** Aborts the request early (client shut down). */
  signal?: AbortSignal;
}

/**
 * GETs `url` without following redirects (the caller vets each hop), reading at most
 * `maxBytes` of body before aborting; the time-out covers connect, headers and body. Never throws.
 */
export async function boundedGet(url: string, o: FetchOptions): Promise<FetchOutcome> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, o.timeoutMs);
  const onAbort = (): void => controller.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const res = await fetch(url, {
      redirect: 'manual',
      signal: controller.signal,
      headers: { accept: 'application/rdap+json, application/json;q=0.9', 'user-agent': o.userAgent },
    });
    const body = await readCapped(res, o.maxBytes, controller);
    if (body === null) return { kind: 'too-large' };
    return { kind: 'response', status: res.status, location: res.headers.get('location'), retryAfter: res.headers.get('retry-after'), body };
  } catch (err) {
    if (timedOut) return { kind: 'timeout' };
    return { kind: 'network', message: describe(err) };
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onAbort);
  }
}

/** The body as text, or null (and the request aborted) once it passes `maxBytes`. */
async function readCapped(res: Response, maxBytes: number, controller: AbortController): Promise<string | null> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    controller.abort();
    return null;
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const decoder = new TextDecoder('utf-8');
  let total = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      controller.abort();
      await reader.cancel().catch(() => {});
      return null;
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}

function describe(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const text = cause?.code ?? cause?.message ?? (err as Error).message ?? String(err);
  return String(text).replace(/[\x00-\x1f\x7f]+/g, ' ').slice(0, 200);
}
