/**
 * The head of an HTTP/1.1 request (request line and fields) judged by RFC 9112 / RFC 9110, for
 * our own request parser (`http1-parse.ts`). Pure functions on latin1 strings (one char a byte).
 *
 * Two readings: `strict` refuses everything the RFCs let a recipient refuse (the raw origin);
 * `lenient` accepts wherever the RFCs let a recipient accept, with the obvious meaning (the fuzz
 * oracle: the requests it finds are every request some correct server could see).
 */

export type Framing = 'none' | 'content-length' | 'chunked' | 'tunnel' | 'http09' | 'faulty';
/** Whether a correct server must, may or need not refuse a message. */
export type Refusal = 'no' | 'may' | 'must';

export interface HeadIssue {
  code: string;
  /** `fatal`: the message cannot be delimited (or must be refused and the connection closed). */
  fatal: boolean;
  refuse: Refusal;
  status: number;
}

export interface Head {
  line: string;
  method: string;
  target: string;
  /** `1.1`, `1.0` (any 1.x above 1 reads as 1.1), or `0.9`. */
  version: string;
  /** The field lines as received (latin1, without their terminators). */
  fieldLines: string[];
  /** Lower-case names, values without surrounding whitespace, obs-folds joined (lenient). */
  fields: Array<[string, string]>;
  framing: Framing;
  /** Body length for `content-length` (Infinity when too large to represent). */
  contentLength: number;
  /** Stop reading requests after this message (tunnel, HTTP/0.9, faulty framing). */
  stopAfter: boolean;
  /** The sender asked to close after this message (Connection: close, HTTP/1.0). */
  closeAfter: boolean;
  refuse: Refusal;
  issues: string[];
  /** An unusable version: the head is still read (to know the request), then refused. */
  versionIssue: HeadIssue | undefined;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const KNOWN_METHODS = new Set(
  'GET HEAD POST PUT DELETE CONNECT OPTIONS TRACE PATCH PROPFIND PROPPATCH MKCOL COPY MOVE LOCK UNLOCK SEARCH REPORT MKACTIVITY CHECKOUT MERGE PURGE LINK UNLINK QUERY'.split(' '),
);
const KNOWN_CODINGS = new Set(['gzip', 'x-gzip', 'deflate', 'compress', 'x-compress']);
const HOST_VALUE = /^[A-Za-z0-9\-._~!$&'()*+,;=:%[\]]*$/;
/** Whitespace a lenient recipient may take as the request-line separator (RFC 9112 section 3). */
const LENIENT_WS = /[ \t\v\f\r]+/;

export class HeadError extends Error {
  constructor(readonly issue: HeadIssue, readonly head: Head | undefined) {
    super(issue.code);
  }
}

const fatal = (code: string, status = 400): HeadIssue => ({ code, fatal: true, refuse: 'must', status });

function raise(h: Head, refuse: Refusal, code: string): void {
  h.issues.push(code);
  if (refuse === 'must' || (refuse === 'may' && h.refuse === 'no')) h.refuse = refuse;
}

/** Bare CRs: refused (strict) or read as SP (lenient, RFC 9112 section 2.2). */
function fixBareCr(line: string, lenient: boolean): { text: string; found: boolean } {
  if (!line.includes('\r')) return { text: line, found: false };
  if (!lenient) throw new HeadError(fatal('bare-cr'), undefined);
  return { text: line.replace(/\r/g, ' '), found: true };
}

/** Parses the request line; throws a HeadError when it cannot be read at all. */
export function parseRequestLine(raw: string, lenient: boolean): Head {
  const { text, found } = fixBareCr(raw, lenient);
  const h: Head = {
    line: raw, method: '', target: '', version: '', fieldLines: [], fields: [], framing: 'none',
    contentLength: 0, stopAfter: false, closeAfter: false, refuse: 'no', issues: [], versionIssue: undefined,
  };
  if (found) raise(h, 'may', 'bare-cr');
  let parts = text.split(' ');
  if (lenient && (parts.length !== 3 || parts.includes(''))) {
    const words = text.trim().split(LENIENT_WS);
    if (words.join(' ') !== text) raise(h, 'may', 'request-line-whitespace');
    parts = words;
  }
  if (parts.length === 2 && lenient && parts[0] === 'GET') {
    h.method = 'GET';
    h.target = parts[1]!;
    h.version = '0.9';
    raise(h, 'may', 'http09');
  } else if (parts.length === 3 && !parts.includes('')) {
    [h.method, h.target, h.version] = parts as [string, string, string];
  } else {
    throw new HeadError(fatal(parts.length === 2 ? 'http09' : 'request-line'), undefined);
  }
  if (!TOKEN.test(h.method)) throw new HeadError(fatal('method'), undefined);
  // RFC 9112 section 3.2: an invalid target SHOULD get 400, but the message is still delimited
  // (the Welchia WebDAV overflow carries raw bytes in its target, and IIS 5 ran it).
  if (/[\x00-\x20\x7f]/.test(h.target)) raise(h, 'may', 'target-ctl');
  if (/[\x80-\xff]/.test(h.target)) raise(h, 'may', 'target-obs-text');
  if (h.version !== '0.9') checkVersion(h);
  if (!KNOWN_METHODS.has(h.method)) raise(h, 'may', 'method-unknown');
  if (!targetFormFits(h.method, h.target)) raise(h, 'may', 'target-form');
  return h;
}

function checkVersion(h: Head): void {
  const v = /^HTTP\/(\d)\.(\d)$/.exec(h.version);
  if (v === null || v[1] !== '1') {
    h.versionIssue = v === null ? fatal('version') : fatal('version-unsupported', 505);
    return;
  }
  if (Number(v[2]) > 1) raise(h, 'may', 'version-minor');
  h.version = v[2] === '0' ? '1.0' : '1.1';
}

/** RFC 9112 section 3.2: origin-form, absolute-form, authority-form (CONNECT), asterisk (OPTIONS). */
function targetFormFits(method: string, target: string): boolean {
  if (method === 'CONNECT') return /^[^/?#@]+:\d+$/.test(target);
  if (target === '*') return method === 'OPTIONS';
  return target.startsWith('/') || /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(target);
}

/** Adds one field line to the head (obs-fold, syntax and value checks). */
export function addFieldLine(h: Head, raw: string, lenient: boolean): void {
  h.fieldLines.push(raw);
  const { text, found } = fixBareCr(raw, lenient);
  if (found) raise(h, 'may', 'bare-cr');
  if (text.startsWith(' ') || text.startsWith('\t')) {
    const first = h.fields.length === 0;
    if (!lenient) throw new HeadError(fatal(first ? 'ws-before-first-field' : 'obs-fold'), h);
    raise(h, 'may', first ? 'ws-before-first-field' : 'obs-fold');
    // RFC 9112 section 2.2 (ignore the line) and section 5.2 (replace the fold with SP).
    const last = h.fields[h.fields.length - 1];
    if (last !== undefined) last[1] = trimOws(`${last[1]} ${cleanValue(h, trimOws(text), lenient)}`);
    return;
  }
  const colon = text.indexOf(':');
  if (colon < 1) throw new HeadError(fatal('field-syntax'), h);
  const name = text.slice(0, colon);
  if (/[ \t]$/.test(name)) throw new HeadError(fatal('ws-before-colon'), h);
  if (!TOKEN.test(name)) throw new HeadError(fatal('field-name'), h);
  h.fields.push([name.toLowerCase(), trimOws(cleanValue(h, trimOws(text.slice(colon + 1)), lenient))]);
}

function trimOws(s: string): string {
  return s.replace(/^[ \t]+|[ \t]+$/g, '');
}

/** RFC 9110 section 5.5: NUL must be refused or read as SP; other CTLs may be kept. */
function cleanValue(h: Head, value: string, lenient: boolean): string {
  if (!/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) return value;
  if (!lenient) throw new HeadError(fatal(value.includes('\0') ? 'field-nul' : 'field-ctl'), h);
  raise(h, 'may', value.includes('\0') ? 'field-nul' : 'field-ctl');
  return value.replace(/\0/g, ' ');
}

export function fieldValues(h: Head, name: string): string[] {
  return h.fields.filter(([n]) => n === name).map(([, v]) => v);
}

/** Comma-separated list members of all lines of a field, empty members dropped (RFC 9110 5.6.1). */
export function listMembers(h: Head, name: string): string[] {
  return fieldValues(h, name)
    .join(',')
    .split(',')
    .map(trimOws)
    .filter((s) => s !== '');
}

/** Decides body framing (RFC 9112 section 6) and the rest of the head checks. */
export function finishHead(h: Head, lenient: boolean): Head {
  if (h.versionIssue !== undefined) throw new HeadError(h.versionIssue, h);
  const connection = listMembers(h, 'connection').map((s) => s.toLowerCase());
  h.closeAfter = connection.includes('close') || (h.version !== '1.1' && !connection.includes('keep-alive'));
  if (h.version === '0.9') return setFraming(h, 'http09', true);
  checkHost(h);
  if (h.method === 'CONNECT') return setFraming(h, 'tunnel', true);
  if (fieldValues(h, 'transfer-encoding').length > 0) return chunkedFraming(h, lenient);
  if (fieldValues(h, 'content-length').length > 0) return lengthFraming(h, lenient);
  return h;
}

function setFraming(h: Head, framing: Framing, stopAfter: boolean): Head {
  h.framing = framing;
  h.stopAfter = stopAfter;
  return h;
}

function checkHost(h: Head): void {
  if (h.version !== '1.1') return;
  const hosts = fieldValues(h, 'host');
  if (hosts.length === 0) raise(h, 'must', 'host-missing');
  else if (hosts.length > 1) raise(h, 'must', 'host-duplicate');
  else if (!HOST_VALUE.test(hosts[0]!)) raise(h, 'must', 'host-invalid');
}

function chunkedFraming(h: Head, lenient: boolean): Head {
  const codings = listMembers(h, 'transfer-encoding').map((s) => s.toLowerCase());
  if (codings.length === 0) throw new HeadError(fatal('te-empty'), h);
  if (h.version !== '1.1') {
    // RFC 9112 section 6.1: framing faulty; it may be processed, then the connection closes.
    if (!lenient) throw new HeadError(fatal('te-http10'), h);
    raise(h, 'may', 'te-http10');
    return setFraming(h, 'faulty', true);
  }
  // transfer-coding = token *( OWS ";" OWS transfer-parameter ): the name is before any ';'.
  const names = codings.map((c) => trimOws(c.split(';')[0]!));
  if (names[names.length - 1] !== 'chunked') throw new HeadError(fatal('te-not-chunked'), h);
  // RFC 9112 section 6.1 requires 400 only when chunked is not final: with a final chunked the
  // message is still delimited, so a lenient server may answer the rest (501) and read on.
  codings.forEach((c, i) => {
    const last = i === codings.length - 1;
    const code = !TOKEN.test(names[i]!) ? 'te-syntax' : names[i] === 'chunked' ? (last ? (c === 'chunked' ? '' : 'te-chunked-params') : 'te-chunked-twice') : 'te-coding';
    if (code === '') return;
    if (!lenient) throw new HeadError(fatal(code, code === 'te-coding' ? 501 : 400), h);
    raise(h, code === 'te-coding' && KNOWN_CODINGS.has(names[i]!) ? 'may' : 'must', code);
  });
  if (fieldValues(h, 'content-length').length > 0) {
    // RFC 9112 section 6.3: Transfer-Encoding wins, and the connection must close afterwards.
    if (!lenient) throw new HeadError(fatal('cl-and-te'), h);
    raise(h, 'may', 'cl-and-te');
    return setFraming(h, 'chunked', true);
  }
  return setFraming(h, 'chunked', false);
}

function lengthFraming(h: Head, lenient: boolean): Head {
  const values = fieldValues(h, 'content-length').join(',').split(',').map(trimOws);
  if (values.some((v) => !/^\d+$/.test(v))) throw new HeadError(fatal('cl-invalid'), h);
  if (new Set(values.map((v) => v.replace(/^0+(?=\d)/, ''))).size > 1) throw new HeadError(fatal('cl-conflict'), h);
  if (values.length > 1) {
    // RFC 9110 section 8.6: identical values may be read as one.
    if (!lenient) throw new HeadError(fatal('cl-duplicate'), h);
    raise(h, 'may', 'cl-duplicate');
  }
  const digits = values[0]!.replace(/^0+(?=\d)/, '');
  if (digits.length > 15 && !lenient) throw new HeadError(fatal('cl-too-large'), h);
  h.contentLength = digits.length > 15 ? Infinity : Number(digits);
  return setFraming(h, 'content-length', false);
}

/** Marks a message that follows one after which the connection should have closed. */
export function markAfterClose(h: Head): void {
  raise(h, 'may', 'after-close');
}
