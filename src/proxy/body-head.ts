import type { IncomingMessage } from 'node:http';
import zlib from 'node:zlib';

/** Most compressed bytes fed to a decoder for one body's head: a bomb gets this far and no further. */
export const ENCODED_HEAD_MAX = 65_536;

/**
 * Reads the first `max` bytes of an origin's response body as it streams to the client, without
 * holding it back or changing it, and calls `done` once with them (fewer if the body is shorter
 * or breaks off). A body in `Content-Encoding` gzip, deflate or br is decoded first (a client
 * asking for gzip must not hide a served secret from the check); a body in any other coding
 * cannot be read, and `done` gets undefined.
 */
export function readBodyHead(res: IncomingMessage, max: number, done: (head: Buffer | undefined) => void): void {
  const coding = String(res.headers['content-encoding'] ?? '').trim().toLowerCase();
  const plain = coding === '' || coding === 'identity';
  if (!plain && !DECODED.has(coding)) return done(undefined);
  const decoder = plain ? null : decoderFor(coding);
  const chunks: Buffer[] = [];
  let size = 0;
  let fed = 0;
  let ended = false;
  let finished = false;

  const collect = (chunk: Buffer): void => {
    if (finished) return;
    chunks.push(chunk);
    size += chunk.length;
    if (size >= max) finish();
  };
  const finish = (): void => {
    if (finished) return;
    finished = true;
    res.off('data', onData);
    res.off('end', onEnd);
    res.off('close', onClose);
    decoder?.destroy();
    const head = Buffer.concat(chunks);
    done(head.length > max ? head.subarray(0, max) : head);
  };
  const onData = (chunk: Buffer): void => {
    if (decoder === null) return collect(chunk);
    if (fed >= ENCODED_HEAD_MAX) return;
    fed += chunk.length;
    decoder.write(chunk);
    if (fed >= ENCODED_HEAD_MAX) decoder.end();
  };
  const onEnd = (): void => {
    ended = true;
    if (decoder === null) finish();
    else decoder.end();
  };
  // After a whole body the decoder still has output to give (it ends on its own); a body cut
  // short ends the reading with what there is.
  const onClose = (): void => {
    if (decoder === null || !ended) finish();
  };
  if (decoder !== null) {
    decoder.on('data', collect);
    decoder.once('end', finish);
    // A damaged stream: what was decoded before the damage is all there is.
    decoder.once('error', finish);
  }
  res.on('data', onData);
  res.once('end', onEnd);
  res.once('close', onClose);
}

const DECODED = new Set(['gzip', 'x-gzip', 'deflate', 'br']);

function decoderFor(coding: string): zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress {
  // Flushing what is there lets a head be read from a body cut short.
  const flush = { finishFlush: zlib.constants.Z_SYNC_FLUSH, chunkSize: 4096 };
  if (coding === 'gzip' || coding === 'x-gzip') return zlib.createGunzip(flush);
  if (coding === 'deflate') return zlib.createInflate(flush);
  return zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH, chunkSize: 4096 });
}
