/*
 * The one sanitiser. Plain ES5-level JavaScript like the normaliser (see normalise.ts): it is
 * emitted into the njs module with it, through Function.prototype.toString().
 */

/**
 * Any text an attacker chose, made safe to log, store, mail and show: control and non-ASCII
 * characters as `\xNN` / `\uNNNN` (no terminal escapes, no line breaks, one byte per character),
 * cut to at most `max` characters with `...` ending a cut one. The one sanitiser of wormwatch:
 * applied once when a detection is built, and to names and lines from any other hostile source.
 */
export function sanitiseLine(s: string, max: number): string {
  const text = String(s);
  // Printable ASCII (nearly every line, and every line sanitised once already) is kept as it is:
  // one native search of at most `max` characters instead of a piece per character.
  const head = text.length > max ? text.slice(0, max) : text;
  if (!/[^\x20-\x7e]/.test(head)) return text.length <= max ? text : text.slice(0, max < 3 ? 0 : max - 3) + '...';
  const out = [];
  let len = 0;
  const n = text.length;
  let i = 0;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    let piece;
    if (c < 0x20 || c === 0x7f || (c >= 0x80 && c <= 0xff)) piece = '\\x' + (c < 16 ? '0' : '') + c.toString(16);
    else if (c > 0xff) piece = '\\u' + ('000' + c.toString(16)).slice(-4);
    else piece = text.charAt(i);
    if (len + piece.length > max) break;
    out.push(piece);
    len += piece.length;
  }
  if (i === n) return out.join('');
  // Cut: room for the ellipsis within `max`.
  while (out.length > 0 && len + 3 > max) len -= (out.pop() as string).length;
  return out.join('') + '...';
}
