/**
 * Fuzz categories about the syntax of a head: methods, versions, HTTP/0.9, control bytes,
 * obs-fold, bare LF, sizes, and bytes that are not HTTP at all. Many are followed by a benign or
 * worm request, so a parser that reads past an error shows what it made of the rest.
 */
import { benignTarget, CRLF, HOST, once, req, type Ctx, type Draft } from '../build.js';
import { plainCodeRed, plainWorm } from '../worms.js';
import { hiddenRequest } from './framing.js';
import type { Category } from './index.js';

/** A request after the malformed one: a worm half the time (a proxy reading on must inspect it). */
function next(c: Ctx): string {
  if (c.rng.chance(0.5)) return '';
  if (c.rng.chance(0.5)) return req(c, { target: benignTarget(c.rng) });
  const w = plainWorm(c.rng);
  return req(c, { method: w.method, target: w.target, headers: w.headers });
}

const METHODS = ['get', 'GeT', 'GET\x00', 'G\x01T', '"GET"', 'GET/', 'M'.repeat(100), 'M-SEARCH', 'PROPFIND', 'SEARCH', 'BREW', '\xc4GET', 'G@T', 'GET;', 'PRI', 'QUERY', 'CONNECTX', 'OPTIONS\x7f'];

function method(c: Ctx): Draft {
  const r = c.rng;
  const m = r.pick(METHODS);
  const target = r.chance(0.3) ? plainCodeRed(r) : benignTarget(r);
  const body = r.chance(0.3) ? 'abc' : '';
  if (r.chance(0.1)) return once(` ${target} HTTP/1.1${CRLF}Host: ${HOST}${CRLF}${CRLF}` + next(c));
  return once(req(c, { method: m, target, body }) + next(c));
}

const VERSIONS = ['HTTP/1.2', 'HTTP/2.0', 'HTTP/0.9', 'HTTP/1.10', 'HTTP/1', 'http/1.1', 'HTTP/ 1.1', 'HTTP/1.1 ', 'HTTP/1.1\t', 'HTTP/1.1x', 'HTTP/3.0', 'HTTP/1.0', 'HTTP/1.', 'HTTPS/1.1', 'HTTP/9.9', 'HTTP/1.1\x00'];

function version(c: Ctx): Draft {
  const r = c.rng;
  const target = r.chance(0.25) ? plainCodeRed(r) : benignTarget(r);
  return once(req(c, { target, version: r.pick(VERSIONS), host: r.chance(0.8) ? HOST : null }) + next(c));
}

function http09(c: Ctx): Draft {
  const r = c.rng;
  const target = r.pick([benignTarget(r), plainCodeRed(r), '/scripts/root.exe?/c+dir']);
  const line = `${r.pick(['GET', 'GET', 'POST', 'HEAD'])} ${target}${r.pick(['', ' ', '\t'])}${r.pick([CRLF, '\n'])}`;
  return once(line + (r.chance(0.5) ? req(c, { target: benignTarget(r) }) : ''), r.pick(['wait', 'end'] as const));
}

const CTL_SPOTS = ['target', 'value', 'name', 'line-end', 'before-colon'] as const;

function ctl(c: Ctx): Draft {
  const r = c.rng;
  const byte = r.pick(['\x00', '\x01', '\x08', '\x0b', '\x0c', '\x1b', '\x7f', '\r', '\t', '\xff', '\x85']);
  const spot = r.pick(CTL_SPOTS);
  const target = spot === 'target' ? `/a${byte}b${r.chance(0.3) ? '/../default.ida?' + 'N'.repeat(224) : ''}` : benignTarget(r);
  const headers =
    spot === 'value' ? [`X-A: a${byte}b`] : spot === 'name' ? [`X${byte}A: v`] : spot === 'before-colon' ? [`X-A${byte}: v`] : [`X-A: v${byte}`];
  const body = r.chance(0.3) ? hiddenRequest(c) : '';
  return once(req(c, { method: body ? 'POST' : 'GET', target, headers, body, framing: body ? r.pick(['cl', 'chunked'] as const) : 'none' }) + next(c));
}

function obsFold(c: Ctx): Draft {
  const r = c.rng;
  const hidden = hiddenRequest(c);
  switch (r.int(0, 4)) {
    case 0:
      return once(req(c, { target: benignTarget(r), headers: [`X-A: a${CRLF}${r.pick([' ', '\t', '  '])}b`] }) + next(c));
    case 1: // folded Transfer-Encoding: chunked only to a parser that unfolds
      return once(req(c, { method: 'POST', target: benignTarget(r), headers: [`Transfer-Encoding:${CRLF} chunked`], framing: 'none', body: `0${CRLF}${CRLF}${hidden}` }) + next(c));
    case 2: // folded Content-Length covering the hidden request
      return once(req(c, { method: 'POST', target: benignTarget(r), headers: [`Content-Length:${CRLF} ${hidden.length}`], framing: 'none', body: hidden }) + next(c));
    case 3: // whitespace before the first field
      return once(`GET ${benignTarget(r)} HTTP/1.1${CRLF}${r.pick([' ', '\t'])}${r.pick(['Transfer-Encoding: chunked', `Host: ${HOST}`, 'X: y'])}${CRLF}` + `Host: ${HOST}${CRLF}X-Fuzz-Id: ${c.topId()}${CRLF}${CRLF}` + next(c));
    default: // a folded header after a framing one
      return once(req(c, { method: 'POST', target: benignTarget(r), headers: [`Transfer-Encoding: chunked`, `X-Pad: a${CRLF} Transfer-Encoding: identity`], framing: 'none', body: `0${CRLF}${CRLF}${hidden}` }) + next(c));
  }
}

function bareLf(c: Ctx): Draft {
  const r = c.rng;
  const hidden = hiddenRequest(c);
  switch (r.int(0, 3)) {
    case 0:
      return once(req(c, { target: benignTarget(r), eol: '\n' }) + next(c));
    case 1: // one field ended by LF alone: `X-A: v\nTransfer-Encoding: chunked` is one line or two
      return once(req(c, { method: 'POST', target: benignTarget(r), headers: [`X-A: v\nTransfer-Encoding: chunked`], framing: 'none', body: `0${CRLF}${CRLF}${hidden}` }) + next(c));
    case 2: // the head ends with LF CRLF or CRLF LF
      return once(req(c, { target: benignTarget(r), headers: [`X-End: ${r.pick(['a\n', 'a\r\n\n'])}`] }) + next(c));
    default: // CR alone as a terminator
      return once(req(c, { target: benignTarget(r), eol: r.pick(['\r', '\r\r\n', '\n\r']) }) + next(c), 'wait');
  }
}

function huge(c: Ctx): Draft {
  const r = c.rng;
  const size = r.pick([8000, 8192, 9300, 15000, 16200, 16384, 17000, 20000, 65536]);
  switch (r.int(0, 4)) {
    case 0:
      return once(req(c, { target: `/${'a'.repeat(size)}` }) + next(c));
    case 1:
      return once(req(c, { target: benignTarget(r), headers: [`X-Big: ${'b'.repeat(size)}`] }) + next(c));
    case 2:
      return once(req(c, { target: benignTarget(r), headers: Array.from({ length: Math.floor(size / 12) }, (_, i) => `X-H${i}: v`) }) + next(c));
    case 3:
      return once(req(c, { target: `/q?${'a=1&'.repeat(Math.floor(size / 4))}` }) + next(c));
    default: // a worm after a long harmless segment: what IIS runs lies past the first 8 KiB
      return once(req(c, { target: `/${'p'.repeat(r.int(8200, 9000))}/../scripts/root.exe?/c+dir` }) + next(c));
  }
}

function garbage(c: Ctx): Draft {
  const r = c.rng;
  const kind = r.int(0, 5);
  if (kind === 0) return once(String.fromCharCode(...Array.from({ length: r.int(1, 512) }, () => r.int(0, 255))), r.pick(['wait', 'end'] as const));
  if (kind === 1) return once('\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03' + r.text(32));
  if (kind === 2) return once('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x12\x04\x00\x00\x00\x00\x00');
  if (kind === 3) return once(r.pick(['SSH-2.0-OpenSSH_9.6\r\n', 'EHLO x\r\n', '{"a":1}\n', '\r\n\r\n\r\n', '\x00'.repeat(64)]) + next(c));
  if (kind === 4) return once(`\r\n\r\n${req(c, { target: benignTarget(r) })}`);
  return once(`${req(c, { target: benignTarget(r) })}${r.text(r.int(1, 40), 'abc \r\n:\t\x00')}`);
}

export const syntaxCategories: Category[] = [
  { name: 'method', weight: 5, make: method },
  { name: 'version', weight: 5, make: version },
  { name: 'http09', weight: 2, make: http09 },
  { name: 'ctl', weight: 6, make: ctl },
  { name: 'obs-fold', weight: 4, make: obsFold },
  { name: 'bare-lf', weight: 4, make: bareLf },
  { name: 'huge', weight: 4, make: huge },
  { name: 'garbage', weight: 2, make: garbage },
];
