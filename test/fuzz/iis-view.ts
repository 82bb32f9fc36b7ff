/**
 * What an IIS origin makes of a request-target, written independently of `src/detect` (a check
 * that reused the normaliser would share its blind spots): the path is split off at the first
 * literal `?`, percent-decoded twice (`%XX` and IIS's `%uXXXX`, as the MS01-026 double decode
 * did) with overlong UTF-8 `/` and `\` folded, backslashes read as slashes, runs of slashes
 * collapsed, NTFS `::$DATA` stream names dropped, and dot segments removed (RFC 3986 section
 * 5.2.4) on the DECODED path, as IIS does. An absolute-form target is judged by its path.
 *
 * `passThrough` says whether a request that reached the origin is one block mode promised to
 * stop: the catalogue engine matches it as received, or as IIS resolves it, or its resolved path
 * runs `/default.ida` (also with path info after it), `root.exe` or `cmd.exe`.
 */
import type { Engine } from '../../src/detect/types.js';

/** Bound on the work per target: targets are at most the proxy's header limit anyway. */
const MAX_TARGET = 65536;

function hex(c: string): number {
  return /^[0-9a-fA-F]$/.test(c) ? parseInt(c, 16) : -1;
}

/** One round of `%XX` / `%uXXXX` decoding; incomplete escapes are kept. */
export function percentDecodeOnce(s: string): string {
  return s.replace(/%(?:[uU]([0-9a-fA-F]{4})|([0-9a-fA-F]{2}))/g, (_, u: string | undefined, b: string | undefined) =>
    String.fromCharCode(u !== undefined ? parseInt(u, 16) : hex(b![0]!) * 16 + hex(b![1]!)),
  );
}

/** Overlong two- and three-byte UTF-8 forms of `/` and `\` (IIS 4/5 accepted them). */
function foldOverlong(s: string): string {
  return s.replace(/[\xc0\xc1][\x00-\xff]|\xe0\x80[\x80-\xbf]/g, (m) => {
    const code = m.length === 2 ? ((m.charCodeAt(0) & 0x1f) << 6) | (m.charCodeAt(1) & 0x3f) : m.charCodeAt(2) & 0x3f;
    return code === 0x2f || code === 0x5c ? '/' : m;
  });
}

/** RFC 3986 section 5.2.4, on a path that starts with `/`. */
export function removeDotSegments(path: string): string {
  const out: string[] = [];
  const segments = path.split('/').slice(1);
  segments.forEach((seg, i) => {
    const last = i === segments.length - 1;
    if (seg === '.' || seg === '..') {
      if (seg === '..') out.pop();
      if (last) out.push('');
    } else out.push(seg);
  });
  return `/${out.join('/')}`;
}

export interface IisView {
  path: string;
  query: string;
}

export function iisView(target: string): IisView {
  let t = target.slice(0, MAX_TARGET);
  const abs = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(t);
  if (abs !== null) t = t.slice(abs[0].length) || '/';
  const q = t.indexOf('?');
  const rawPath = q < 0 ? t : t.slice(0, q);
  const query = q < 0 ? '' : t.slice(q + 1);
  let path = foldOverlong(percentDecodeOnce(foldOverlong(percentDecodeOnce(rawPath))));
  path = path.replace(/\\/g, '/').replace(/\/{2,}/g, '/');
  path = path.replace(/::\$data(?=\/|$)/gi, '');
  if (!path.startsWith('/')) path = `/${path}`;
  return { path: removeDotSegments(path).replace(/\/{2,}/g, '/').toLowerCase(), query };
}

/** A segment IIS runs as the script: the last one, or one followed by path info. */
function runsScript(path: string): string | undefined {
  if (/^\/default\.ida(?:\/|$)/.test(path)) return 'default.ida';
  const seg = path.split('/').find((s) => s === 'root.exe' || s === 'cmd.exe');
  return seg;
}

export interface PassThrough {
  /** Which view caught it: the engine on the request as received, on the IIS view, or the script rule. */
  by: 'engine' | 'engine-iis-view' | 'script';
  detail: string;
}

export interface ReceivedRequest {
  method: string;
  target: string;
  headers: Record<string, string | string[]>;
}

/** Null when block mode had no reason to stop this request. */
export function passThrough(engine: Engine, r: ReceivedRequest): PassThrough | null {
  const asReceived = engine.match(engine.normalise(r), 'request');
  if (asReceived !== null) return { by: 'engine', detail: asReceived.signature.id };
  const view = iisView(r.target);
  const resolved = view.path + (view.query === '' ? '' : `?${view.query}`);
  const asResolved = engine.match(engine.normalise({ ...r, target: resolved }), 'request');
  if (asResolved !== null) return { by: 'engine-iis-view', detail: `${asResolved.signature.id} on ${resolved.slice(0, 80)}` };
  const script = runsScript(view.path);
  if (script !== undefined) return { by: 'script', detail: `${script} on ${view.path.slice(0, 80)}` };
  return null;
}

/** Headers as the engine reads them, from name/value pairs (repeated names become arrays). */
export function headerObject(fields: ReadonlyArray<readonly [string, string]>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of fields) {
    const had = out[name];
    out[name] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value];
  }
  return out;
}
