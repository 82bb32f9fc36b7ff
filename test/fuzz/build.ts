/**
 * Building blocks of fuzz inputs: requests written byte by byte (latin1 strings, one char a
 * byte), each tagged with an `X-Fuzz-Id` the raw origin echoes back, so every request that
 * reaches the origin and every response a client gets can be traced to the input it came from.
 * Ids: `f<index>.<k>` for the requests written as top-level ones, `f<index>.h<k>` for requests
 * hidden inside a body (smuggling attempts).
 */
import type { Rng } from './rng.js';

/** One write to the socket, after waiting `delayMs` (bytes may be empty: a pause). */
export interface Piece {
  bytes: Buffer;
  delayMs: number;
}

/** After the last piece: keep the socket open, half-close it (FIN), or destroy it at once. */
export type After = 'wait' | 'end' | 'reset';

export interface Draft {
  pieces: Piece[];
  after: After;
}

export const HOST = 'fuzz.test';
export const CRLF = '\r\n';

/** Per-input state: numbers the requests of one input. */
export class Ctx {
  private top = 0;
  private hidden = 0;

  constructor(readonly index: number, readonly rng: Rng) {}

  topId(): string {
    return `f${this.index}.${this.top++}`;
  }

  hiddenId(): string {
    return `f${this.index}.h${this.hidden++}`;
  }
}

export interface ReqSpec {
  method?: string;
  target?: string;
  /** `null`: no version at all (HTTP/0.9 form). Default `HTTP/1.1`. */
  version?: string | null;
  /** `null`: no Host line. Default `fuzz.test`. */
  host?: string | null;
  /** Raw field lines (`Name: value`), after Host and X-Fuzz-Id. */
  headers?: string[];
  body?: string;
  /** How `body` is framed (the framing header is added): default `cl` when there is a body. */
  framing?: 'cl' | 'chunked' | 'none';
  /** Default `top`. */
  id?: 'top' | 'hidden' | 'none';
  /** Line terminator of the head. Default CRLF. */
  eol?: string;
}

/** One request as bytes (a latin1 string). */
export function req(ctx: Ctx, spec: ReqSpec = {}): string {
  const eol = spec.eol ?? CRLF;
  const version = spec.version === undefined ? 'HTTP/1.1' : spec.version;
  const line = `${spec.method ?? 'GET'} ${spec.target ?? '/'}${version === null ? '' : ` ${version}`}`;
  const lines = [line];
  const host = spec.host === undefined ? HOST : spec.host;
  if (host !== null) lines.push(`Host: ${host}`);
  const id = spec.id ?? 'top';
  if (id !== 'none') lines.push(`X-Fuzz-Id: ${id === 'top' ? ctx.topId() : ctx.hiddenId()}`);
  lines.push(...(spec.headers ?? []));
  const body = spec.body ?? '';
  const framing = spec.framing ?? (body === '' ? 'none' : 'cl');
  if (framing === 'cl') lines.push(`Content-Length: ${body.length}`);
  if (framing === 'chunked') lines.push('Transfer-Encoding: chunked');
  const head = lines.join(eol) + eol + eol;
  return head + (framing === 'chunked' ? chunked(body) : body);
}

/** `body` in chunks of the given sizes (the last size repeats), then the last chunk. */
export function chunked(body: string, sizes: number[] = [body.length]): string {
  let out = '';
  let at = 0;
  let k = 0;
  while (at < body.length) {
    const n = Math.max(1, sizes[Math.min(k++, sizes.length - 1)]!);
    const part = body.slice(at, at + n);
    out += `${part.length.toString(16)}\r\n${part}\r\n`;
    at += n;
  }
  return `${out}0\r\n\r\n`;
}

export function once(text: string, after: After = 'wait'): Draft {
  return { pieces: [{ bytes: Buffer.from(text, 'latin1'), delayMs: 0 }], after };
}

/** Text cut into `n` pieces at random places, with a pause before each but the first. */
export function slowly(rng: Rng, text: string, n: number, minMs: number, maxMs: number, after: After = 'wait'): Draft {
  const cuts = new Set<number>();
  while (cuts.size < Math.min(n - 1, text.length - 1)) cuts.add(rng.int(1, text.length - 1));
  const at = [0, ...[...cuts].sort((a, b) => a - b), text.length];
  const pieces: Piece[] = [];
  for (let i = 0; i + 1 < at.length; i++) {
    pieces.push({ bytes: Buffer.from(text.slice(at[i], at[i + 1]), 'latin1'), delayMs: i === 0 ? 0 : rng.int(minMs, maxMs) });
  }
  return { pieces, after };
}

/** A harmless origin-form path and query (no script names the worm checks look for). */
export function benignTarget(rng: Rng): string {
  const segments = Array.from({ length: rng.int(0, 3) }, () => rng.text(rng.int(1, 8)));
  const file = rng.pick(['', 'index.html', 'logo.png', 'app.js', 'style.css', 'data.json', rng.text(5)]);
  const path = `/${[...segments, file].filter((s) => s !== '').join('/')}`;
  return rng.chance(0.4) ? `${path}?${rng.text(2, 'abcdefgh')}=${rng.text(rng.int(1, 6))}` : path;
}

/** A short harmless body. */
export function benignBody(rng: Rng, max = 64): string {
  return rng.text(rng.int(1, max), 'abcdefghijklmnopqrstuvwxyz0123456789=&');
}
