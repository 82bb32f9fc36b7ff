import type { RequestView, SignatureExample } from './types.js';

/**
 * Splits `METHOD target HTTP/x.y` (a request line of a live request, a log, a catalogue example,
 * `wormwatch check`). Tolerant, because logs and worms send odd lines: the protocol may be
 * missing (`GET /scripts/nsiislog.dll`), the target may hold spaces (`cmd.exe?/c+copy
 * \winnt\...`), and a line whose first word is not a method token is kept whole as the target
 * with an empty method, so its payload is still inspected. Linear in the line's length whatever
 * it holds (no backtracking on runs of spaces).
 */
export function splitRequestLine(line: string): { method: string; target: string } {
  let rest = String(line);
  while (rest.endsWith('\n') || rest.endsWith('\r')) rest = rest.slice(0, -1);
  const proto = / HTTP\/\d(?:\.\d)?$/i.exec(rest);
  if (proto) rest = rest.slice(0, proto.index);
  const sp = rest.indexOf(' ');
  const first = sp < 0 ? rest : rest.slice(0, sp);
  if (sp <= 0 || !/^[A-Za-z][A-Za-z0-9_-]{0,31}$/.test(first)) return { method: '', target: rest };
  let t = sp + 1;
  while (rest.charCodeAt(t) === 32) t++;
  return t < rest.length ? { method: first, target: rest.slice(t) } : { method: '', target: rest };
}

/** A request line, and its headers, as the engine reads a request. */
export function parseRequestLine(line: string, headers?: RequestView['headers']): RequestView {
  const view: RequestView = splitRequestLine(line);
  if (headers) view.headers = headers;
  return view;
}

/** The RequestView of a catalogue example. */
export function exampleRequest(example: SignatureExample): RequestView {
  return parseRequestLine(example.request, example.headers);
}
