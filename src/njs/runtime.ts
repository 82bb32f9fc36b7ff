/**
 * The njs side of `wormwatch build-njs`: how nginx hands a request to the shared normaliser and
 * how the catalogue is matched, written so that the generated module behaves like the Node engine.
 *
 * Like `detect/normalise.ts`, every function here is emitted verbatim into the njs module with
 * `Function.prototype.toString()`, so each is self-contained ES5-level JavaScript (plus let/const,
 * which njs 0.7.9 has): no imports, no closures over module state, no classes, Map/Set, spread,
 * destructuring, for...of, `?.` or `??`. Only other emitted functions may be called by name.
 */

/**
 * One request-stage signature in the generated module. Its regular expression is not here but a
 * literal in the emitted `patternOf(index)`: njs copies every object reachable from module scope
 * for each request, and RegExp objects made that copy several times slower (measured with wrk),
 * while a regex literal is compiled once, when nginx loads the module (so a bad one fails `nginx -t`).
 */
export interface NjsSignature {
  id: string;
  /** Position in the table, the key of `patternOf`. */
  index: number;
  /** Normalised fields the pattern is tried on, in order (`all` is `line` then `headers`). */
  fields: string[];
  /** The texts the literal prefilter looks in (`line`, `raw`, `headers`), one per field. */
  scans: string[];
  /** Lower-case literals; null when the signature has none and is always verified. */
  literals: string[] | null;
  /** Upper-case methods, or null for any. */
  methods: string[] | null;
}

/** The subset of the njs request object that `classify` reads. */
export interface NjsRequest {
  method: string;
  rawHeadersIn: string[][];
  rawVariables?: Record<string, { length: number; [i: number]: number } | undefined>;
  variables: Record<string, string | undefined>;
  error(message: string): void;
}

/**
 * Bytes as Node's HTTP parser turns them into a string: one character per byte (latin1), at most
 * `max` of them. `$request_uri` as a Buffer keeps the bytes exactly as the client sent them.
 */
export function latin1(bytes: { length: number; [i: number]: number }, max: number): string {
  var out = [];
  var n = bytes.length < max ? bytes.length : max;
  for (var i = 0; i < n; i++) out.push(String.fromCharCode(bytes[i] as number));
  return out.join('');
}

/**
 * Text decoded from UTF-8 as the bytes it came from, one character each (Node's view of them):
 * for an njs that gives header values as decoded text (see `headerBytes`) and for the in-process tests.
 */
export function utf8AsLatin1(s: string): string {
  if (!/[^\x00-\x7f]/.test(s)) return s;
  var out = [];
  for (var i = 0; i < s.length; i++) {
    var c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      var lo = s.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
        i += 1;
      }
    }
    if (c < 0x80) out.push(String.fromCharCode(c));
    else if (c < 0x800) out.push(String.fromCharCode(0xc0 | (c >> 6), 0x80 | (c & 0x3f)));
    else if (c < 0x10000) out.push(String.fromCharCode(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)));
    else out.push(String.fromCharCode(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)));
  }
  return out.join('');
}

/**
 * A header name or value from njs as Node's parser reads it: one character per byte. njs 0.7.9
 * hands them over as byte strings, which hold exactly that, but on which a regex with a `\\u`
 * escape silently never matches (so `headerText` would not decode `$%7Bjndi:`): `fromBytes()` makes
 * the same characters an ordinary string. An njs without byte strings (0.8) gives text decoded
 * from UTF-8; encoding it back (`utf8AsLatin1`) is then the nearest to Node's view.
 */
export function headerBytes(s: string): string {
  var bytes = (s as unknown as { fromBytes?: () => string | null }).fromBytes;
  if (typeof bytes === 'function') {
    var text = bytes.call(s);
    if (typeof text === 'string') return text;
  }
  return utf8AsLatin1(s);
}

/**
 * Header pairs as received → the object Node's `req.headers` would be: lower-case names in order
 * of first appearance; a repeated header joined with `, ` (cookie with `; `, set-cookie kept as
 * an array), except the fields Node keeps only the first of.
 */
export function nodeHeaders(pairs: string[][]): Record<string, string | string[]> {
  var firstOnly = ['age', 'authorization', 'content-length', 'content-type', 'etag', 'expires', 'from', 'host',
    'if-modified-since', 'if-unmodified-since', 'last-modified', 'location', 'max-forwards',
    'proxy-authorization', 'referer', 'retry-after', 'server', 'user-agent'];
  var out: Record<string, string | string[]> = {};
  for (var i = 0; i < pairs.length; i++) {
    var pair = pairs[i] as string[];
    var name = headerBytes(String(pair[0])).toLowerCase();
    var value = headerBytes(String(pair[1]));
    var seen = Object.prototype.hasOwnProperty.call(out, name);
    if (name === 'set-cookie') {
      if (seen) (out[name] as string[]).push(value);
      else out[name] = [value];
    } else if (!seen) out[name] = value;
    else if (name === 'cookie') out[name] = out[name] + '; ' + value;
    else if (firstOnly.indexOf(name) < 0) out[name] = out[name] + ', ' + value;
  }
  return out;
}

/**
 * The request-target as Node would see it: the raw bytes of `$request_uri`, one character each,
 * at most 8 KiB (the normaliser's bound). Not `r.variables.request_uri`: njs 0.7.9 hands that
 * over as a string on which `indexOf` and regex tests silently fail after the normaliser's
 * slicing (the nginx parity test caught it), even when it is plain ASCII.
 */
export function requestTarget(r: NjsRequest): string {
  var raw = r.rawVariables ? r.rawVariables.request_uri : undefined;
  return raw ? latin1(raw, 8192) : String(r.variables.request_uri || '/');
}

/**
 * The id of the first request-stage signature (catalogue order) that matches, or ''. Same rule
 * as the Node engine: method allowed, one literal present in a scanned text (or no literals),
 * then the pattern found in one of the fields.
 */
export function classifyRequest(method: string, target: string, headers: unknown, table: NjsSignature[], patternOf: (index: number) => RegExp): string {
  var t = normaliseTarget(method, target);
  var n: Record<string, string> = { method: t.method, raw: t.raw, path: t.path, query: t.query, url: t.url, line: t.line, resolved: t.resolved, headers: headerText(headers) };
  for (var i = 0; i < table.length; i++) {
    var s = table[i] as NjsSignature;
    if (s.methods !== null && s.methods.indexOf(n.method as string) < 0) continue;
    if (s.literals !== null) {
      var candidate = false;
      for (var j = 0; j < s.scans.length && !candidate; j++) {
        var text = n[s.scans[j] as string] as string;
        for (var k = 0; k < s.literals.length; k++) {
          if (text.indexOf(s.literals[k] as string) >= 0) {
            candidate = true;
            break;
          }
        }
      }
      if (!candidate) continue;
    }
    var re = patternOf(s.index);
    for (var f = 0; f < s.fields.length; f++) {
      if (re.test(n[s.fields[f] as string] as string)) return s.id;
    }
  }
  return '';
}

/** What nginx's `js_set $wormwatch wormwatch.classify;` calls for each request. */
export function classify(r: NjsRequest): string {
  try {
    return classifyRequest(headerBytes(String(r.method)), requestTarget(r), nodeHeaders(r.rawHeadersIn), signatureTable(), patternOf);
  } catch (e) {
    // Never fail the request over classification; say why in nginx's error log.
    r.error('wormwatch classify failed: ' + e);
    return '';
  }
}

/**
 * What `js_set $wormwatch_headers_suspect wormwatch.suspectHeaders;` calls, for the requests whose
 * URI the generated map cleared: '1' when some header, as `name: value`, holds `%`, a character
 * from U+0080 up or a header literal (see `suspect.ts`), else ''. Much cheaper than `classify`:
 * no normalising, one regex over the joined lines. When in doubt ('1'), classify decides.
 */
export function suspectHeaders(r: NjsRequest): string {
  try {
    var pairs = r.rawHeadersIn;
    var lines = [];
    for (var i = 0; i < pairs.length; i++) {
      var pair = pairs[i] as string[];
      lines.push(pair[0] + ': ' + pair[1]);
    }
    return headerSuspect(lines.join('\n')) ? '1' : '';
  } catch (e) {
    r.error('wormwatch suspectHeaders failed: ' + e);
    return '1';
  }
}

// Names the emitted functions call, defined by the other emitted pieces of the module.
declare function normaliseTarget(method: string, target: string): { method: string; raw: string; path: string; query: string; url: string; line: string; resolved: string };
declare function headerText(headers: unknown): string;
declare function signatureTable(): NjsSignature[];
declare function patternOf(index: number): RegExp;
declare function headerSuspect(text: string): boolean;

/** In emission order; `classify` last, after the table it reads is defined. */
export const RUNTIME_FUNCTIONS = [latin1, utf8AsLatin1, headerBytes, nodeHeaders, requestTarget, classifyRequest] as const;
