import { createReadStream } from 'node:fs';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** A complete line (without its `\n` or `\r\n`), or the size of a line dropped for being too long. */
export type Line = string | { oversizedBytes: number };

/** Longest line kept by default, in bytes. WebDAV overflow probes log 8 KB request lines. */
export const DEFAULT_MAX_LINE_BYTES = 65_536;

/**
 * Splits a byte stream into lines with bounded memory: a line longer than `maxBytes` is dropped
 * (reported as oversized) instead of being buffered. Bytes are decoded as latin1 so that logs with
 * raw non-UTF-8 bytes (old worm payloads) keep every byte, one char per byte.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private dropping = false;

  constructor(private readonly maxBytes = DEFAULT_MAX_LINE_BYTES) {}

  push(chunk: Buffer): Line[] {
    const out: Line[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl >= 0; nl = chunk.indexOf(10, start)) {
      if (this.pendingBytes === 0 && nl - start <= this.maxBytes) {
        out.push(stripCr(chunk.toString('latin1', start, nl))); // common case: no copy, no wrapper
      } else {
        this.append(chunk.subarray(start, nl));
        out.push(this.take());
      }
      start = nl + 1;
    }
    if (start < chunk.length) this.append(chunk.subarray(start));
    return out;
  }

  /** The last line when the input does not end in a newline. */
  end(): Line[] {
    return this.pendingBytes > 0 || this.dropping ? [this.take()] : [];
  }

  /** Forgets a partial line (the file was truncated under us). */
  reset(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.dropping = false;
  }

  private append(piece: Buffer): void {
    this.pendingBytes += piece.length;
    if (this.dropping) return;
    if (this.pendingBytes > this.maxBytes) {
      this.dropping = true;
      this.pending = [];
      return;
    }
    if (piece.length > 0) this.pending.push(Buffer.from(piece));
  }

  private take(): Line {
    const line: Line = this.dropping
      ? { oversizedBytes: this.pendingBytes }
      : stripCr(Buffer.concat(this.pending, this.pendingBytes).toString('latin1'));
    this.reset();
    return line;
  }
}

function stripCr(text: string): string {
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}

/** The raw bytes of a file, or of stdin for `-`. */
export function openLog(path: string): AsyncIterable<Buffer> {
  return path === '-' ? process.stdin : createReadStream(path, { highWaterMark: 256 * 1024 });
}

/** The bytes, gunzipped when they start with the gzip magic bytes (whatever the file is called). */
export async function* maybeGunzip(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const it = source[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return;
  const all = (async function* () {
    yield first.value;
    for (let next = await it.next(); !next.done; next = await it.next()) yield next.value;
  })();
  if (first.value[0] !== 0x1f || first.value[1] !== 0x8b) {
    yield* all;
    return;
  }
  const gunzip = createGunzip();
  pipeline(Readable.from(all), gunzip, () => { /* errors surface from the gunzip iterator */ });
  yield* gunzip;
}

/** Lines of a byte stream. */
export async function* readLines(bytes: AsyncIterable<Buffer>, maxBytes = DEFAULT_MAX_LINE_BYTES): AsyncGenerator<Line> {
  const splitter = new LineSplitter(maxBytes);
  for await (const chunk of bytes) yield* splitter.push(chunk);
  yield* splitter.end();
}
