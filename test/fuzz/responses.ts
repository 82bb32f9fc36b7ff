/**
 * Splits what a fuzz client received into HTTP/1.1 responses (leniently: it reads what wormwatch
 * sends, and must not hide a desynchronisation behind its own strictness). Interim 1xx answers
 * are counted and skipped; a 101 ends parsing (the rest is another protocol). A response to HEAD
 * (known from the request at that position), a 204 or a 304 has no body. Bounds: a head of
 * 64 KiB, 4 KiB of each body kept.
 */

export interface ClientResponse {
  status: number;
  /** The origin's `x-fuzz-echo` (the x-fuzz-id it answered), if the origin made this answer. */
  echo: string | undefined;
  /** The first 4 KiB of the body. */
  body: string;
  complete: boolean;
}

export interface ResponseStream {
  responses: ClientResponse[];
  interim: number;
  /** Bytes that are not an HTTP response where one should start (or a broken chunked body). */
  garbage: string | undefined;
  /** The connection switched protocols (101). */
  switched: boolean;
}

const MAX_HEAD = 65536;
const KEEP_BODY = 4096;

type Framing = { kind: 'none' } | { kind: 'length'; left: number } | { kind: 'chunked' } | { kind: 'close' };

export class ResponseParser {
  readonly out: ResponseStream = { responses: [], interim: 0, garbage: undefined, switched: false };
  private buf = '';
  private current: ClientResponse | undefined;
  private framing: Framing = { kind: 'none' };
  private done = false;

  /** `methodAt(n)`: the method of the request the n-th final response answers. */
  constructor(private readonly methodAt: (n: number) => string) {}

  feed(data: Buffer): void {
    if (this.done) return;
    this.buf += data.toString('latin1');
    while (!this.done && this.step());
  }

  /** The peer closed: a response read until close ends here; any other is cut. */
  end(): void {
    if (this.current !== undefined && this.framing.kind === 'close') this.finish();
    this.done = true;
  }

  private step(): boolean {
    if (this.current === undefined) return this.readHead();
    if (this.framing.kind === 'length') return this.readLength(this.framing);
    if (this.framing.kind === 'chunked') return this.readChunk();
    this.keep(this.buf);
    this.buf = '';
    return false;
  }

  private readHead(): boolean {
    if (this.buf.length === 0) return false;
    if (!'HTTP/'.startsWith(this.buf.slice(0, 5)) || (this.buf.length >= 5 && !this.buf.startsWith('HTTP/'))) return this.fail(this.buf);
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0) return this.buf.length > MAX_HEAD ? this.fail(this.buf.slice(0, 200)) : false;
    const lines = this.buf.slice(0, end).split('\r\n');
    this.buf = this.buf.slice(end + 4);
    const m = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(lines[0]!);
    if (m === null) return this.fail(lines[0]!);
    const status = Number(m[1]);
    const fields = lines.slice(1).map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as const);
    const get = (name: string): string | undefined => fields.find(([n]) => n === name)?.[1];
    if (status === 101) {
      this.out.switched = true;
      this.done = true;
      this.out.responses.push({ status, echo: get('x-fuzz-echo'), body: '', complete: true });
      return false;
    }
    if (status < 200) {
      this.out.interim++;
      return true;
    }
    this.current = { status, echo: get('x-fuzz-echo'), body: '', complete: false };
    const method = this.methodAt(this.out.responses.length);
    const te = get('transfer-encoding');
    const cl = get('content-length');
    if (method === 'HEAD' || status === 204 || status === 304) this.framing = { kind: 'none' };
    else if (te !== undefined && /chunked\s*$/i.test(te)) this.framing = { kind: 'chunked' };
    else if (cl !== undefined && /^\d+$/.test(cl)) this.framing = { kind: 'length', left: Number(cl) };
    else this.framing = { kind: 'close' };
    if (this.framing.kind === 'none' || (this.framing.kind === 'length' && this.framing.left === 0)) this.finish();
    return true;
  }

  private readLength(f: { left: number }): boolean {
    if (this.buf.length === 0) return false;
    const part = this.buf.slice(0, f.left);
    this.buf = this.buf.slice(part.length);
    this.keep(part);
    f.left -= part.length;
    if (f.left === 0) this.finish();
    return true;
  }

  private readChunk(): boolean {
    const eol = this.buf.indexOf('\r\n');
    if (eol < 0) return false;
    const size = parseInt(this.buf.slice(0, eol), 16);
    if (!Number.isFinite(size)) return this.fail(this.buf.slice(0, 200));
    if (size === 0) {
      const end = this.buf.indexOf('\r\n\r\n', eol);
      if (end < 0) return false;
      this.buf = this.buf.slice(end + 4);
      this.finish();
      return true;
    }
    if (this.buf.length < eol + 2 + size + 2) return false;
    this.keep(this.buf.slice(eol + 2, eol + 2 + size));
    this.buf = this.buf.slice(eol + 2 + size + 2);
    return true;
  }

  private keep(part: string): void {
    const c = this.current!;
    if (c.body.length < KEEP_BODY) c.body += part.slice(0, KEEP_BODY - c.body.length);
  }

  private finish(): void {
    this.current!.complete = true;
    this.out.responses.push(this.current!);
    this.current = undefined;
  }

  private fail(text: string): false {
    this.out.garbage = text.slice(0, 200);
    this.done = true;
    return false;
  }

  /** A response was under way when the stream ended. */
  get cut(): boolean {
    return this.current !== undefined;
  }
}
