import type { RequestView, SignatureExample } from './types.js';

/**
 * Splits `METHOD target HTTP/x.y` into a RequestView. Tolerant, because log files and worms
 * send odd lines: the protocol may be missing (`GET /scripts/nsiislog.dll`), the target may hold
 * spaces (`cmd.exe?/c+copy \winnt\...`), and a line whose first word is not a method token is
 * kept whole as the target with an empty method, so its payload is still inspected.
 */
export function parseRequestLine(line: string, headers?: RequestView['headers']): RequestView {
  let rest = String(line).replace(/[\r\n]+$/, '');
  const proto = / HTTP\/\d(?:\.\d)?$/i.exec(rest);
  if (proto) rest = rest.slice(0, proto.index);
  const sp = rest.indexOf(' ');
  const first = sp < 0 ? rest : rest.slice(0, sp);
  const view: RequestView = /^[A-Za-z][A-Za-z-]{0,19}$/.test(first) && sp > 0
    ? { method: first, target: rest.slice(sp + 1) }
    : { method: '', target: rest };
  if (headers) view.headers = headers;
  return view;
}

/** The RequestView of a catalogue example. */
export function exampleRequest(example: SignatureExample): RequestView {
  return parseRequestLine(example.request, example.headers);
}
