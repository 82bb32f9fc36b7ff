/**
 * Fuzz categories about targets and the flow of a connection: absolute-form, CONNECT, upgrades,
 * Expect, truncated and slow sends, aborted uploads, worm targets plain and hidden behind
 * encodings, and ordinary requests (the control group, and the victims of a desynchronisation).
 */
import { benignBody, benignTarget, CRLF, HOST, once, req, slowly, type Ctx, type Draft } from '../build.js';
import { evasion, plainCodeRed, plainWorm } from '../worms.js';
import { hiddenRequest } from './framing.js';
import type { Category } from './index.js';

function absoluteForm(c: Ctx): Draft {
  const r = c.rng;
  const path = r.pick([benignTarget(r), '', '?x=1', plainCodeRed(r), evasion(r).target]);
  const authority = r.pick(['evil.example', HOST, `${HOST}:80`, 'user@fuzz.test', '127.0.0.1:22', 'FUZZ.TEST']);
  const scheme = r.pick(['http', 'https', 'HTTP', 'ftp']);
  const target = r.chance(0.15) ? `//${authority}${path.startsWith('/') ? path : `/${path}`}` : `${scheme}://${authority}${path}`;
  return once(req(c, { target }) + (r.chance(0.4) ? req(c, { target: benignTarget(r) }) : ''));
}

function connect(c: Ctx): Draft {
  const r = c.rng;
  const authority = r.pick(['evil.example:443', '127.0.0.1:22', `${HOST}:80`, 'evil.example']);
  const head = `CONNECT ${authority} HTTP/1.1${CRLF}Host: ${authority}${CRLF}X-Fuzz-Id: ${c.topId()}${CRLF}${CRLF}`;
  const after = r.pick(['', '\x16\x03\x01\x00\xa5\x01\x00', hiddenRequest(c), req(c, { id: 'hidden', target: plainCodeRed(r) })]);
  return once(head + after, r.pick(['wait', 'end'] as const));
}

const WS_HEADERS = ['Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13'];

function upgrade(c: Ctx): Draft {
  const r = c.rng;
  const target = benignTarget(r);
  switch (r.int(0, 4)) {
    case 0: // h2c, maybe with the HTTP/2 preface after it
      return once(
        req(c, { target, headers: ['Connection: Upgrade, HTTP2-Settings', 'Upgrade: h2c', 'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA'] }) +
          (r.chance(0.5) ? 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n' : ''),
      );
    case 1: // a WebSocket upgrade with requests after it, sent before any 101
      return once(req(c, { target, headers: WS_HEADERS }) + hiddenRequest(c));
    case 2: // an upgrade that also announces a body (issue 9 section 5)
      return once(req(c, { method: r.pick(['GET', 'POST']), target, headers: WS_HEADERS, body: r.chance(0.5) ? 'hello' : hiddenRequest(c), framing: r.pick(['cl', 'chunked'] as const) }));
    case 3: // other protocols, odd spellings
      return once(req(c, { target, headers: [`Connection: ${r.pick(['upgrade', 'Upgrade, close', 'keep-alive'])}`, `Upgrade: ${r.pick(['WebSocket', 'websocket, h2c', 'TLS/1.0', 'h2c', 'IRC/6.9'])}`] }) + hiddenRequest(c));
    default: // Upgrade without Connection naming it
      return once(req(c, { target, headers: ['Upgrade: websocket', 'Sec-WebSocket-Version: 13'] }) + req(c, { target: benignTarget(r) }));
  }
}

function expect(c: Ctx): Draft {
  const r = c.rng;
  const value = r.pick(['100-continue', '100-Continue', 'foo', '100-continue, foo', '']);
  const body = benignBody(r);
  const worm = r.chance(0.2);
  const head = req(c, { method: 'POST', target: worm ? plainCodeRed(r) : benignTarget(r), headers: [`Expect: ${value}`, `Content-Length: ${body.length}`], framing: 'none' });
  switch (r.int(0, 3)) {
    case 0:
      return once(head + body);
    case 1: // body only after a pause (a client waiting for 100 Continue)
      return { pieces: [{ bytes: Buffer.from(head, 'latin1'), delayMs: 0 }, { bytes: Buffer.from(body, 'latin1'), delayMs: r.int(100, 300) }], after: 'wait' };
    case 2: // the body never comes
      return once(head, r.pick(['wait', 'end'] as const));
    default:
      return once(req(c, { target: benignTarget(r), headers: [`Expect: ${value}`] }));
  }
}

/** A valid input (one to three requests, some with bodies) to cut or slow down. */
function validText(c: Ctx): string {
  const r = c.rng;
  const parts: string[] = [];
  for (let i = r.int(1, 3); i > 0; i--) {
    const kind = r.int(0, 3);
    if (kind === 0) parts.push(req(c, { method: 'POST', target: benignTarget(r), body: benignBody(r, 200), framing: r.pick(['cl', 'chunked'] as const) }));
    else if (kind === 1) {
      const w = plainWorm(r);
      parts.push(req(c, { method: w.method, target: w.target, headers: w.headers }));
    } else parts.push(req(c, { target: benignTarget(r), headers: ['User-Agent: fuzz/1.0', 'Accept: */*'] }));
  }
  return parts.join('');
}

function truncated(c: Ctx): Draft {
  const r = c.rng;
  const text = validText(c);
  return once(text.slice(0, r.int(1, text.length - 1)), r.pick(['wait', 'end', 'reset'] as const));
}

function slow(c: Ctx): Draft {
  const r = c.rng;
  switch (r.int(0, 2)) {
    case 0:
      return slowly(r, validText(c), r.int(2, 6), 20, 250);
    case 1: {
      // slowloris: a head that dribbles in past the headers time-out
      const text = req(c, { target: benignTarget(r), headers: ['X-Slow: 1'] });
      return slowly(r, text, Math.min(text.length, 9), 150, 220);
    }
    default: {
      // the head at once, the body trickling
      const body = benignBody(r, 100);
      const text = req(c, { method: 'POST', target: benignTarget(r), body, framing: r.pick(['cl', 'chunked'] as const) });
      return slowly(r, text, 5, 100, 250);
    }
  }
}

/** Issue 9 section 2: an upload the origin answers early, then the client leaves. */
function abortUpload(c: Ctx): Draft {
  const r = c.rng;
  const target = r.chance(0.7) ? `/early/${r.text(4)}` : benignTarget(r);
  const head = req(c, { method: r.pick(['POST', 'PUT']), target, headers: ['Content-Length: 1000000'], framing: 'none' });
  return {
    pieces: [
      { bytes: Buffer.from(head + 'x'.repeat(100), 'latin1'), delayMs: 0 },
      { bytes: Buffer.alloc(0), delayMs: r.int(20, 80) },
    ],
    after: r.chance(0.8) ? 'reset' : 'end',
  };
}

function benign(c: Ctx): Draft {
  const r = c.rng;
  const parts: string[] = [];
  for (let i = r.int(1, 3); i > 0; i--) {
    const method = r.pick(['GET', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS']);
    const body = method === 'POST' || method === 'PUT' ? benignBody(r) : '';
    const target = r.chance(0.1)
      ? `/slow/${r.text(4)}`
      : r.chance(0.05)
        ? `/early/${r.text(4)}`
        : r.chance(0.1)
          ? `/a/./b/../${r.text(3)}`
          : method === 'HEAD' && r.chance(0.3)
            ? `/head-body/${r.text(4)}`
            : benignTarget(r);
    parts.push(req(c, { method, target, body, framing: body ? r.pick(['cl', 'chunked'] as const) : 'none' }));
  }
  return once(parts.join(''), r.pick(['wait', 'wait', 'end'] as const));
}

function wormPlain(c: Ctx): Draft {
  const r = c.rng;
  const w = plainWorm(r);
  const worm = req(c, { method: r.chance(0.1) ? 'HEAD' : w.method, target: w.target, headers: w.headers, version: r.pick(['HTTP/1.1', 'HTTP/1.0']) });
  return once((r.chance(0.3) ? req(c, { target: benignTarget(r) }) : '') + worm + (r.chance(0.5) ? req(c, { target: benignTarget(r) }) : ''));
}

function wormEvasion(c: Ctx): Draft {
  const r = c.rng;
  const { target } = evasion(r);
  const worm = req(c, { method: r.pick(['GET', 'GET', 'HEAD', 'POST']), target, version: r.pick(['HTTP/1.1', 'HTTP/1.0']) });
  return once(worm + (r.chance(0.3) ? req(c, { target: benignTarget(r) }) : ''));
}

export const flowCategories: Category[] = [
  { name: 'absolute-form', weight: 4, make: absoluteForm },
  { name: 'connect', weight: 2, make: connect },
  { name: 'upgrade', weight: 4, make: upgrade },
  { name: 'expect', weight: 4, make: expect },
  { name: 'truncated', weight: 4, make: truncated },
  { name: 'slow', weight: 3, make: slow },
  { name: 'abort-upload', weight: 2, make: abortUpload },
  { name: 'benign', weight: 10, make: benign },
  { name: 'worm-plain', weight: 3, make: wormPlain },
  { name: 'worm-evasion', weight: 10, make: wormEvasion },
];
