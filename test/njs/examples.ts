// Every example of the catalogue as the exact request a client sends, and as the Node engine
// sees it, for the njs parity tests.
import { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
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

/** What `_addHeaderLines` needs of an IncomingMessage: Node's own joining of header lines. */
interface HeaderJoiner { headers: Record<string, string | string[]>; _addHeaderLines(lines: string[], n: number): void }

/**
 * Header pairs as Node's `req.headers` holds them, joined by Node's own code (IncomingMessage's
 * `_addHeaderLines`: lower-case names, repeats joined with `, ` or `; `, set-cookie an array,
 * the second Host or User-Agent dropped), so the tests compare against Node, not a copy of it.
 */
export function nodeHeaderObject(pairs: readonly (readonly [string, string])[]): Record<string, string | string[]> {
  const message = new IncomingMessage(null as unknown as Socket) as unknown as HeaderJoiner;
  const lines = pairs.flatMap(([k, v]) => [k, v]);
  message._addHeaderLines(lines, lines.length);
  return message.headers;
}

/**
 * The header pairs nginx keeps: with `ignore_invalid_headers` (on by default) it drops a name of
 * anything but letters, digits and `-` (`spring.cloud.function.routing-expression`, `x_y`), and
 * then neither njs nor the upstream sees it.
 */
export function keptByNginx(pairs: [string, string][]): [string, string][] {
  return pairs.filter(([k]) => /^[A-Za-z0-9-]+$/.test(k));
}
