/**
 * Our own incremental HTTP/1.1 request parser (RFC 9112), shared by the raw origin
 * (`raw-origin.ts`, strict) and the fuzz oracle (`test/fuzz/oracle.ts`, lenient). Deliberately
 * not node:http's llhttp: the proxy under test parses with llhttp, and a parser it shares would
 * agree with it by construction.
 *
 * Framing is by the RFC alone: a request with neither Content-Length nor Transfer-Encoding has no
 * body, so bytes after its head are the next request (which is what makes smuggling visible).
 * Chunk lines need CRLF; chunk sizes are hex digits (at most 13 significant) with optional
 * RFC-conforming extensions. Bounds: a head of `maxHeadBytes` (then 431), chunk lines of
 * `maxChunkLine` bytes, `maxBodyRecord` body bytes kept per request (the rest only counted).
 */
import { addFieldLine, finishHead, HeadError, markAfterClose, parseRequestLine, type Head } from './http1-head.js';

export type { Framing, Head, Refusal } from './http1-head.js';

export interface ParsedRequest extends Head {
  /** Offset of the request line's first byte in the stream. */
  start: number;
  /** Offset just after the message (or after what arrived of it). */
  end: number;
  /** The first `maxBodyRecord` bytes of the (de-chunked) body. */
  body: Buffer;
  bodyBytes: number;
  trailers: string[];
  complete: boolean;
  /** The head was read but the message must be refused (and nothing after it is read). */
  rejected: boolean;
}

export interface ParseError {
  code: string;
  status: number;
  /** Stream offset where the bad element starts. */
  offset: number;
}

export interface ParserOptions {
  /** Accept wherever RFC 9110/9112 allow a recipient to (obs-fold, duplicate identical CL, ...). */
  lenient?: boolean;
  /** Take a bare LF as a line terminator in the request line and fields (RFC 9112 section 2.2). Default true. */
  bareLf?: boolean;
  /** Default 65536. */
  maxHeadBytes?: number;
  /** Default 65536. */
  maxBodyRecord?: number;
  /** Longest chunk-size line with its extensions. Default 4096 (RFC 9112 7.1.1 leaves the bound to the server). */
  maxChunkLine?: number;
}

export interface ParserEvents {
  onHead?(r: ParsedRequest): void;
  onBody?(r: ParsedRequest, chunk: Buffer): void;
  onComplete?(r: ParsedRequest): void;
  onError?(e: ParseError, r: ParsedRequest | undefined): void;
}

type State = 'start' | 'head' | 'body' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'done';
const CHUNK_EXT = /^(?:[ \t]*;[ \t]*[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?:[ \t]*=[ \t]*(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+|"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*"))?)*$/;

export class RequestParser {
  readonly requests: ParsedRequest[] = [];
  error: ParseError | undefined;
  /** Why reading stopped without an error (tunnel, HTTP/0.9, faulty framing), and where. */
  stopped: { reason: string; offset: number } | undefined;
  private readonly lenient: boolean;
  private readonly bareLf: boolean;
  private readonly maxHead: number;
  private readonly maxBody: number;
  private readonly maxChunkLine: number;
  private buf: Buffer = Buffer.alloc(0);
  /** Stream offset of buf[0]. */
  private base = 0;
  private state: State = 'start';
  private current: ParsedRequest | undefined;
  private headLines: string[] = [];
  private headStart = 0;
  private remaining = 0;
  private closeSeen = false;

  constructor(opts: ParserOptions = {}, private readonly events: ParserEvents = {}) {
    this.lenient = opts.lenient ?? false;
    this.bareLf = opts.bareLf ?? true;
    this.maxHead = opts.maxHeadBytes ?? 65536;
    this.maxBody = opts.maxBodyRecord ?? 65536;
    this.maxChunkLine = opts.maxChunkLine ?? 4096;
  }

  /** Whether a message is partly read (a head or body under way). */
  get midMessage(): boolean {
    return this.state !== 'start' && this.state !== 'done' ? true : this.state === 'start' && this.buf.length > 0;
  }

  get finished(): boolean {
    return this.state === 'done';
  }

  feed(data: Buffer): void {
    if (this.state === 'done') return;
    this.buf = this.buf.length === 0 ? data : Buffer.concat([this.buf, data]);
    while (!this.finished && this.step());
  }

  /** One state transition; false when more bytes are needed. */
  private step(): boolean {
    switch (this.state) {
      case 'start':
        return this.skipEmptyLines();
      case 'head':
        return this.readHead();
      case 'body':
        return this.readBody();
      case 'chunk-size':
        return this.readChunkSize();
      case 'chunk-data':
        return this.readChunkData();
      case 'chunk-end':
        return this.readChunkEnd();
      case 'trailers':
        return this.readTrailers();
      default:
        return false;
    }
  }

  private consume(n: number): void {
    this.buf = this.buf.subarray(n);
    this.base += n;
  }

  /** RFC 9112 section 2.2: empty lines before a request line are ignored. */
  private skipEmptyLines(): boolean {
    let i = 0;
    while (i < this.buf.length && (this.buf[i] === 0x0a || (this.buf[i] === 0x0d && this.buf[i + 1] === 0x0a))) i += this.buf[i] === 0x0d ? 2 : 1;
    if (i > 0) this.consume(i);
    if (this.buf.length === 0 || (this.buf.length === 1 && this.buf[0] === 0x0d)) return false;
    this.state = 'head';
    this.headStart = this.base;
    this.headLines = [];
    return true;
  }

  /** The next line (without its terminator) and the bytes it took, or undefined if incomplete. */
  private line(requireCrlf: boolean): { text: string; size: number; bareLf: boolean } | undefined {
    const lf = this.buf.indexOf(0x0a);
    if (lf < 0) return undefined;
    const cr = lf > 0 && this.buf[lf - 1] === 0x0d;
    return { text: this.buf.toString('latin1', 0, cr ? lf - 1 : lf), size: lf + 1, bareLf: !cr && requireCrlf };
  }

  private readHead(): boolean {
    for (;;) {
      const l = this.line(!this.bareLf);
      if (l === undefined) {
        if (this.base - this.headStart + this.buf.length > this.maxHead) return this.fail('head-too-large', 431, undefined);
        return false;
      }
      if (l.bareLf) return this.fail('bare-lf', 400, undefined);
      this.consume(l.size);
      if (this.base - this.headStart > this.maxHead) return this.fail('head-too-large', 431, undefined);
      if (l.text !== '') {
        this.headLines.push(l.text);
        // HTTP/0.9 (`GET /x`, no version) has no fields and no empty line after it.
        if (this.headLines.length === 1 && l.text.trim().split(/[ \t\v\f\r]+/).length === 2) return this.startMessage();
        continue;
      }
      return this.startMessage();
    }
  }

  private startMessage(): boolean {
    let head: Head;
    try {
      head = parseRequestLine(this.headLines[0]!, this.lenient);
      for (const f of this.headLines.slice(1)) addFieldLine(head, f, this.lenient);
      finishHead(head, this.lenient);
    } catch (err) {
      if (!(err instanceof HeadError)) throw err;
      const rejected = err.head === undefined ? undefined : this.newRequest(err.head, true);
      return this.fail(err.issue.code, err.issue.status, rejected, this.headStart);
    }
    if (this.closeSeen) markAfterClose(head);
    this.closeSeen ||= head.closeAfter;
    const r = this.newRequest(head, false);
    this.events.onHead?.(r);
    if (head.framing === 'chunked') this.state = 'chunk-size';
    else if (head.framing === 'content-length' && head.contentLength > 0) {
      this.remaining = head.contentLength;
      this.state = 'body';
    } else this.completeMessage();
    return true;
  }

  private newRequest(head: Head, rejected: boolean): ParsedRequest {
    const r: ParsedRequest = { ...head, start: this.headStart, end: this.base, body: Buffer.alloc(0), bodyBytes: 0, trailers: [], complete: false, rejected };
    this.requests.push(r);
    this.current = r;
    return r;
  }

  private bodyData(chunk: Buffer): void {
    const r = this.current!;
    if (r.body.length < this.maxBody) r.body = Buffer.concat([r.body, chunk.subarray(0, this.maxBody - r.body.length)]);
    r.bodyBytes += chunk.length;
    r.end = this.base;
    this.events.onBody?.(r, chunk);
  }

  private take(n: number): Buffer {
    const chunk = this.buf.subarray(0, n);
    this.consume(n);
    return chunk;
  }

  private readBody(): boolean {
    if (this.buf.length === 0) return false;
    const chunk = this.take(Math.min(this.remaining, this.buf.length));
    this.remaining -= chunk.length;
    this.bodyData(chunk);
    if (this.remaining === 0) this.completeMessage();
    return true;
  }

  private readChunkSize(): boolean {
    const l = this.line(true);
    if (l === undefined) return this.buf.length > this.maxChunkLine ? this.fail('chunk-line-too-long', 400, undefined) : false;
    if (l.bareLf) return this.fail('chunk-bare-lf', 400, undefined);
    if (l.size > this.maxChunkLine) return this.fail('chunk-line-too-long', 400, undefined);
    const m = /^([0-9A-Fa-f]+)([\s\S]*)$/.exec(l.text);
    if (m === null) return this.fail('chunk-size', 400, undefined);
    // RFC 9112 section 7.1.1: unrecognised extensions MUST be ignored, so a lenient reader skips
    // whatever follows ';' (control bytes aside); a strict one holds it to the grammar.
    const ext = m[2]!;
    const extOk = this.lenient ? ext === '' || /^[ \t]*;[^\x00-\x08\x0a-\x1f\x7f]*$/.test(ext) : CHUNK_EXT.test(ext);
    if (l.text.includes('\r') || !extOk) return this.fail('chunk-ext', 400, undefined);
    const digits = m[1]!.replace(/^0+(?=.)/, '');
    if (digits.length > 13) return this.fail('chunk-size-overflow', 400, undefined);
    this.consume(l.size);
    this.remaining = parseInt(digits, 16);
    this.state = this.remaining === 0 ? 'trailers' : 'chunk-data';
    return true;
  }

  private readChunkData(): boolean {
    if (this.buf.length === 0) return false;
    const chunk = this.take(Math.min(this.remaining, this.buf.length));
    this.remaining -= chunk.length;
    this.bodyData(chunk);
    if (this.remaining === 0) this.state = 'chunk-end';
    return true;
  }

  private readChunkEnd(): boolean {
    if (this.buf.length < 2) return false;
    if (this.buf[0] !== 0x0d || this.buf[1] !== 0x0a) return this.fail('chunk-data-end', 400, undefined);
    this.consume(2);
    this.state = 'chunk-size';
    return true;
  }

  private readTrailers(): boolean {
    for (;;) {
      const l = this.line(!this.bareLf);
      if (l === undefined) return this.buf.length > this.maxHead ? this.fail('trailers-too-large', 431, undefined) : false;
      if (l.bareLf) return this.fail('bare-lf', 400, undefined);
      this.consume(l.size);
      if (l.text === '') {
        this.completeMessage();
        return true;
      }
      const r = this.current!;
      r.trailers.push(l.text);
      try {
        addFieldLine({ ...r, fields: [...r.fields], fieldLines: [], issues: r.issues }, l.text, this.lenient);
      } catch (err) {
        if (!(err instanceof HeadError)) throw err;
        return this.fail(`trailer-${err.issue.code}`, 400, undefined);
      }
    }
  }

  private completeMessage(): void {
    const r = this.current!;
    r.complete = true;
    r.end = this.base;
    this.events.onComplete?.(r);
    if (r.stopAfter) {
      this.stopped = { reason: r.framing === 'chunked' ? 'cl-and-te' : r.framing, offset: this.base };
      this.state = 'done';
    } else this.state = 'start';
  }

  private fail(code: string, status: number, rejected: ParsedRequest | undefined, offset = this.base): false {
    const inBody = this.state !== 'start' && this.state !== 'head';
    this.error = { code, status, offset };
    this.state = 'done';
    this.events.onError?.(this.error, rejected ?? (inBody ? this.current : undefined));
    return false;
  }
}

/** Parses a whole stream at once. */
export function parseAll(data: Buffer, opts: ParserOptions = {}): RequestParser {
  const p = new RequestParser(opts);
  p.feed(data);
  return p;
}
