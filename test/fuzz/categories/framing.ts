/**
 * Fuzz categories about where a request ends: Content-Length and Transfer-Encoding variants,
 * chunk tricks, a Connection header naming framing fields, and pipelining. Most carry a request
 * hidden where a correct server reads body bytes, so a proxy that frames differently smuggles it.
 */
import { benignBody, benignTarget, chunked, CRLF, once, req, type Ctx, type Draft } from '../build.js';
import { plainWorm } from '../worms.js';
import type { Category } from './index.js';

const BODY_METHODS = ['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'POST', 'PUT', 'PATCH'];

/** A complete request meant to be hidden in a body: a worm, or a slow benign one (desync bait). */
export function hiddenRequest(c: Ctx): string {
  const r = c.rng;
  if (r.chance(0.3)) return req(c, { id: 'hidden', target: `/slow/${r.text(6)}` });
  const w = plainWorm(r);
  return req(c, { id: 'hidden', method: w.method, target: w.target, headers: w.headers });
}

/** A benign request after the tricky one, so a proxy that misreads the framing shows it. */
function followUp(c: Ctx): string {
  return c.rng.chance(0.5) ? req(c, { target: benignTarget(c.rng) }) : '';
}

const CL_VALUES = ['+5', '-5', '0x5', '5a', '5.0', ' 5', '5 ', '"5"', '05', '', '1e3', '99999999999999999999', '\t5', '5\x00', '5,', ',5', '5, 5', '5,5', '5, 50', '0, 5'];

function contentLength(c: Ctx): Draft {
  const r = c.rng;
  const method = r.pick(['POST', 'PUT', 'GET', 'DELETE']);
  const target = benignTarget(r);
  const hidden = hiddenRequest(c);
  switch (r.int(0, 6)) {
    case 0: // two differing lengths: one covers the hidden request, the other stops before it
      return once(req(c, { method, target, framing: 'none', headers: ['Content-Length: 5', `Content-Length: ${5 + hidden.length}`], body: `abcde${hidden}` }) + followUp(c));
    case 1: {
      const body = `abcde${hidden}`;
      const lines = r.chance(0.5) ? [`Content-Length: ${body.length}`, `Content-Length: ${body.length}`] : [`Content-Length: ${body.length}, ${body.length}`];
      return once(req(c, { method, target, framing: 'none', headers: lines, body }) + followUp(c));
    }
    case 2:
      return once(req(c, { method, target, framing: 'none', headers: [`Content-Length: ${r.pick(CL_VALUES)}`], body: `abcde${hidden}` }) + followUp(c));
    case 3: // shorter than the body: the rest is a next request (top-level, so it must be inspected)
      return once(req(c, { method, target, framing: 'none', headers: [`Content-Length: ${r.int(0, 5)}`], body: `abcde`.slice(0, 5) + hidden }));
    case 4: // longer than what is sent
      return once(req(c, { method, target, framing: 'none', headers: [`Content-Length: ${r.int(20, 5000)}`], body: 'abcde' }), r.pick(['wait', 'end'] as const));
    case 5: // a worm as body bytes, properly framed: the origin must get it as a body
      return once(req(c, { method, target, body: hidden }) + followUp(c));
    default: {
      // CL.TE and TE.CL: Content-Length and chunked framing disagree about the hidden request
      const te = `0${CRLF}${CRLF}${hidden}`;
      const lines = r.chance(0.5) ? [`Content-Length: ${te.length}`, 'Transfer-Encoding: chunked'] : ['Transfer-Encoding: chunked', `Content-Length: ${r.int(3, 4)}`];
      const body = lines[0]!.startsWith('Content') ? te : chunked(hidden);
      return once(req(c, { method, target, framing: 'none', headers: r.chance(0.5) ? lines : [...lines].reverse(), body }) + followUp(c));
    }
  }
}

const TE_VALUES = [
  'chunked, identity', 'identity, chunked', 'Chunked', 'CHUNKED', ' chunked', 'chunked ', '\tchunked', 'xchunked', 'chunked;q=1',
  'chunked,', ', chunked', 'gzip, chunked', 'chunked, chunked', 'identity', '', 'chunk', 'chunked\x0b', 'chunked\x00', '"chunked"', 'chunked\x7f',
];
const TE_NAMES = ['Transfer-Encoding', 'transfer-encoding', 'TRANSFER-ENCODING', 'Transfer-Encoding ', 'Transfer_Encoding', 'Transfer-Encoding\t', 'Transfer-Encoding\x00', 'Transfer-Encodin'];

function transferEncoding(c: Ctx): Draft {
  const r = c.rng;
  const hidden = hiddenRequest(c);
  const name = r.chance(0.7) ? 'Transfer-Encoding' : r.pick(TE_NAMES);
  const lines = [`${name}: ${r.pick(TE_VALUES)}`];
  if (r.chance(0.15)) lines.push(`Transfer-Encoding: ${r.pick(['chunked', 'identity', 'gzip'])}`);
  if (r.chance(0.15)) lines.unshift('Transfer-Encoding: chunked');
  const version = r.chance(0.15) ? 'HTTP/1.0' : 'HTTP/1.1';
  // Either the hidden request is chunk data, or it follows an empty chunked body.
  const body = r.chance(0.5) ? chunked(hidden, [r.int(1, 40)]) : `0${CRLF}${CRLF}${hidden}`;
  return once(req(c, { method: r.pick(BODY_METHODS), target: benignTarget(r), version, headers: lines, framing: 'none', body }) + followUp(c));
}

const SIZE_LINES = ['0005', 'A', 'a', '0x5', ' 5', '5 ', '-5', '+5', 'fffffffffffffffff5', '1;', '5;ext', '5;ext=val', '5;ext="q \\"x"', '5 ;ext', '5;a=b;c', '5\t;x', '5;x=', '5;=x', '5;x=\x01', '5\r', '\xb55'];

function chunkTricks(c: Ctx): Draft {
  const r = c.rng;
  const head = req(c, { method: r.pick(['POST', 'PUT']), target: benignTarget(r), framing: 'none', headers: ['Transfer-Encoding: chunked'] });
  const data = 'hello';
  let body: string;
  switch (r.int(0, 7)) {
    case 0:
      body = `${r.pick(SIZE_LINES)}\r\n${data}\r\n0\r\n\r\n`;
      break;
    case 1: // a long extension
      body = `5;${'x'.repeat(r.pick([100, 3000, 5000]))}\r\n${data}\r\n0\r\n\r\n`;
      break;
    case 2: // LF-only chunk lines
      body = r.chance(0.5) ? `5\n${data}\n0\n\n` : `5\r\n${data}\r\n0\n\r\n`;
      break;
    case 3: // data and size disagree
      body = r.chance(0.5) ? `3\r\n${data}\r\n0\r\n\r\n` : `9\r\n${data}\r\n0\r\n\r\n`;
      break;
    case 4: // missing CRLF after data
      body = `5\r\n${data}X0\r\n\r\n`;
      break;
    case 5: // trailers
      body = `5\r\n${data}\r\n0\r\n${r.pick(['X-T: 1', 'Content-Length: 5', 'Transfer-Encoding: chunked', 'X-T: a\r\n b', 'Bad Trailer: x', 'X-T: \x01'])}\r\n\r\n`;
      break;
    case 6: // last chunk with an extension, or several zeros
      body = `5\r\n${data}\r\n${r.pick(['000', '0;x=y', '0 ', '00000000000000000'])}\r\n\r\n`;
      break;
    default: // the hidden request inside a chunk, split over chunks
      body = chunked(hiddenRequest(c), [r.int(1, 9), r.int(1, 200)]);
  }
  const tail = r.chance(0.5) ? hiddenRequest(c) : followUp(c);
  return once(head + body + tail);
}

const CONNECTION_VALUES = ['transfer-encoding', 'Transfer-Encoding', 'close, transfer-encoding', 'keep-alive, Transfer-Encoding', 'content-length', 'host', 'upgrade', 'te', 'keep-alive', 'x-forwarded-for', 'transfer-encoding, content-length'];

/** Issue 9 section 1: Connection naming the framing field, the de-chunked body a second request. */
function connectionFraming(c: Ctx): Draft {
  const r = c.rng;
  const hidden = hiddenRequest(c);
  const method = r.pick(BODY_METHODS);
  const connection = `Connection: ${r.pick(CONNECTION_VALUES)}`;
  const framed = r.chance(0.7)
    ? req(c, { method, target: benignTarget(r), headers: [connection], framing: 'chunked', body: hidden })
    : req(c, { method, target: benignTarget(r), headers: [connection], framing: 'cl', body: hidden });
  return once(framed + followUp(c));
}

function pipeline(c: Ctx): Draft {
  const r = c.rng;
  const parts: string[] = [];
  const n = r.int(2, 5);
  for (let i = 0; i < n; i++) {
    const kind = r.int(0, 9);
    if (kind === 0) {
      const w = plainWorm(r);
      parts.push(req(c, { method: w.method, target: w.target, headers: w.headers }));
    } else if (kind === 1) parts.push(req(c, { method: 'HEAD', target: benignTarget(r) }));
    else if (kind === 2) parts.push(req(c, { method: 'POST', target: benignTarget(r), body: benignBody(r), framing: r.pick(['cl', 'chunked'] as const) }));
    else if (kind === 3) parts.push(req(c, { target: benignTarget(r), headers: ['Connection: close'] }));
    else if (kind === 4) parts.push(req(c, { target: benignTarget(r), version: 'HTTP/1.0', headers: r.chance(0.5) ? ['Connection: keep-alive'] : [] }));
    else if (kind === 5) parts.push(req(c, { target: `/slow/${r.text(4)}` }));
    else parts.push(req(c, { target: benignTarget(r) }));
  }
  return once(parts.join(''), r.pick(['wait', 'wait', 'end'] as const));
}

export const framingCategories: Category[] = [
  { name: 'content-length', weight: 8, make: contentLength },
  { name: 'transfer-encoding', weight: 8, make: transferEncoding },
  { name: 'chunked', weight: 7, make: chunkTricks },
  { name: 'connection-framing', weight: 8, make: connectionFraming },
  { name: 'pipeline', weight: 6, make: pipeline },
];
