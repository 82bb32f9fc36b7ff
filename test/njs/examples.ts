// Every example of the catalogue as the exact request a client sends, and as the Node engine
// sees it, for the njs parity tests.
import type { Signature } from '../../src/detect/types.js';

export interface WireExample {
  /** `signature-id +3` (positive, index 3) or `signature-id -0`, for messages. */
  name: string;
  method: string;
  target: string;
  /** Header pairs in the order they are sent (the example's, then Host, then Connection). */
  headers: [string, string][];
  /** The bytes sent; null when the example cannot be sent (a character above U+00FF, a CR or LF). */
  wire: Buffer | null;
  requestLine: string;
}

/**
 * Splits a request line as nginx does: the method up to the first space, the version after the
 * last one when it is `HTTP/x.y`, the target in between (spaces included).
 */
export function splitRequestLine(line: string): { method: string; target: string; version: string | null } {
  const sp = line.indexOf(' ');
  if (sp < 0) return { method: line, target: '', version: null };
  const rest = line.slice(sp + 1);
  const v = / (HTTP\/\d\.\d)$/.exec(rest);
  return { method: line.slice(0, sp), target: v ? rest.slice(0, v.index) : rest, version: v ? v[1]! : null };
}

export function wireExamples(signatures: readonly Signature[]): WireExample[] {
  const out: WireExample[] = [];
  for (const s of signatures) {
    const lists: [string, typeof s.examples.positive][] = [['+', s.examples.positive], ['-', s.examples.negative]];
    for (const [sign, list] of lists) {
      list.forEach((ex, i) => {
        const { method, target, version } = splitRequestLine(ex.request);
        const headers: [string, string][] = Object.entries(ex.headers ?? {});
        if (version !== null) {
          if (!headers.some(([k]) => k.toLowerCase() === 'host')) headers.push(['Host', 'localhost']);
          headers.push(['Connection', 'close']);
        }
        // A body as long as announced, as the worm would send it (at most 1 MiB).
        const length = Number(headers.find(([k]) => k.toLowerCase() === 'content-length')?.[1] ?? 0);
        const body = version !== null && Number.isInteger(length) && length > 0 && length <= 1_048_576 ? 'x'.repeat(length) : '';
        const text = version === null ? `${ex.request}\r\n` : `${ex.request}\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${body}`;
        const sendable = !/[^\x00-\xff]/.test(text) && !/[\r\n]/.test(ex.request) && !headers.some(([k, v]) => /[\r\n]/.test(k + v));
        out.push({ name: `${s.id} ${sign}${i}`, method, target, headers, wire: sendable ? Buffer.from(text, 'latin1') : null, requestLine: ex.request });
      });
    }
  }
  return out;
}

/** Header pairs as Node's `req.headers` holds them (lower-case names, repeats joined). */
export function nodeHeaderObject(pairs: [string, string][]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of pairs) {
    const name = k.toLowerCase();
    out[name] = name in out ? `${out[name]}, ${v}` : v;
  }
  return out;
}

/**
 * The header pairs nginx keeps: with `ignore_invalid_headers` (on by default) it drops a name of
 * anything but letters, digits and `-` (`spring.cloud.function.routing-expression`, `x_y`), and
 * then neither njs nor the upstream sees it.
 */
export function keptByNginx(pairs: [string, string][]): [string, string][] {
  return pairs.filter(([k]) => /^[A-Za-z0-9-]+$/.test(k));
}
