import type http from 'node:http';
import { gzip } from 'node:zlib';

/** Bodies smaller than this go as they are: gzip's framing and the work are not worth it. */
export const COMPRESS_MIN_BYTES = 1_024;

/**
 * True when `Accept-Encoding` accepts gzip (RFC 9110 §12.5.3): `gzip` or `*` with a q-value above
 * 0, unless `gzip;q=0` refuses it by name.
 */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  const value = Array.isArray(header) ? header.join(',') : header ?? '';
  let named: boolean | undefined;
  let any = false;
  for (const item of value.split(',')) {
    const [coding = '', ...params] = item.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const ok = q === undefined || Number(q.slice(2)) > 0;
    if (coding.trim() === 'gzip') named = ok;
    else if (coding.trim() === '*') any = ok;
  }
  return named ?? any;
}

/**
 * Writes a whole body, gzipped when the client accepts it and it is worth it. Compressed off the
 * event loop (zlib's thread pool): `/metrics` and the page are built while the proxy serves, and
 * must not hold it up. A compression error sends the body as it is.
 */
export function writeBody(res: http.ServerResponse, status: number, headers: http.OutgoingHttpHeaders, body: string | Buffer): void {
  const raw = typeof body === 'string' ? Buffer.from(body) : body;
  if (raw.length < COMPRESS_MIN_BYTES || !acceptsGzip(res.req?.headers['accept-encoding'])) return plain(res, status, headers, raw);
  gzip(raw, (err, zipped) => {
    if (res.destroyed) return;
    if (err) return plain(res, status, headers, raw);
    res.writeHead(status, { ...headers, 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding', 'Content-Length': zipped.length });
    res.end(zipped);
  });
}

function plain(res: http.ServerResponse, status: number, headers: http.OutgoingHttpHeaders, raw: Buffer): void {
  res.writeHead(status, { ...headers, Vary: 'Accept-Encoding', 'Content-Length': raw.length });
  res.end(raw);
}
