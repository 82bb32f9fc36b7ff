
const MONTHS: Record<string, number> = { jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11 };

export { normaliseAddress } from '../../address.js';

/** The last time text parsed and its value: lines of one second (a worm's sweep) share it. */
let lastClfText = '';
let lastClfTime: number | null = null;

/** `10/Oct/2004:04:20:13 -0400` (Apache/nginx); also the numeric-month variant `06/10/2021:…` cPanel writes. */
export function parseClfDate(text: string): Date | null {
  if (text !== lastClfText) {
    lastClfTime = clfTimeFixed(text) ?? clfTime(text);
    lastClfText = text;
  }
  return lastClfTime === null ? null : new Date(lastClfTime);
}

const digit = (text: string, i: number): number => {
  const c = text.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : NaN;
};
const number = (text: string, from: number, to: number): number => {
  let v = 0;
  for (let i = from; i < to; i++) v = v * 10 + digit(text, i);
  return v;
};

/** The day part (`10/Oct/2004`) of the last fixed-layout time and its midnight (UTC ms): a log's lines share a day. */
let lastDayText = '';
let lastDayMs = 0;

/**
 * The layout every Apache and nginx line has (`10/Oct/2004:04:20:13 -0400`, 26 characters), read
 * by position; undefined for anything else (`clfTime` then reads it with the general pattern).
 * The value is Date.UTC's, split as the midnight of the day plus the time of day (exact in ms).
 */
function clfTimeFixed(t: string): number | undefined {
  if (t.length !== 26 || t.charCodeAt(2) !== 47 || t.charCodeAt(6) !== 47 || t.charCodeAt(11) !== 58 || t.charCodeAt(14) !== 58 || t.charCodeAt(17) !== 58 || t.charCodeAt(20) !== 32) return undefined;
  const sign = t.charCodeAt(21);
  if (sign !== 43 && sign !== 45) return undefined;
  const hh = number(t, 12, 14);
  const mm = number(t, 15, 17);
  const ss = number(t, 18, 20);
  const offset = (sign === 45 ? -1 : 1) * (number(t, 22, 24) * 60 + number(t, 24, 26));
  // A non-digit made one of them NaN: not this layout.
  if (Number.isNaN(hh + mm + ss + offset)) return undefined;
  if (!t.startsWith(lastDayText) || lastDayText === '') {
    const month = MONTHS[t.slice(3, 6).toLowerCase()];
    const day = number(t, 0, 2);
    const year = number(t, 7, 11);
    if (month === undefined || Number.isNaN(day + year)) return undefined;
    lastDayMs = Date.UTC(year, month, day);
    lastDayText = t.slice(0, 11);
  }
  return lastDayMs + hh * 3_600_000 + mm * 60_000 + ss * 1000 - offset * 60_000;
}

function clfTime(text: string): number | null {
  const m = /^(\d{1,2})\/(\w{2,3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?:\s+([+-])(\d{2})(\d{2}))?$/.exec(text);
  if (!m) return null;
  const month = /^\d+$/.test(m[2]!) ? Number(m[2]) - 1 : MONTHS[m[2]!.toLowerCase()];
  if (month === undefined || month < 0 || month > 11) return null;
  const offset = m[7] ? (m[7] === '-' ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9])) : 0;
  const utc = Date.UTC(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  return utc - offset * 60_000;
}

/** `2018-04-08` + `06:49:13`, with an optional `GMT-0700` / `+0200` zone (UTC when absent, as W3C logs are). */
export function parseIsoDate(date: string, time: string, zone = ''): Date | null {
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date.trim());
  const t = /^(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?$/.exec(time.trim());
  if (!d || !t) return null;
  const z = /([+-])(\d{2}):?(\d{2})$/.exec(zone.trim());
  const offset = z ? (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3])) : 0;
  const utc = Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3]), Number(t[1]), Number(t[2]), Number(t[3]));
  return Number.isNaN(utc) ? null : new Date(utc - offset * 60_000);
}

/** Whether a character code is white space as `\s` and `trim()` read it (ASCII, NBSP, the Unicode spaces, BOM). */
export function isSpace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 160) return false;
  return c === 160 || c === 5760 || (c >= 8192 && c <= 8202) || c === 8232 || c === 8233 || c === 8239 || c === 8287 || c === 12288 || c === 65279;
}

/** `text.trim() === ''` without the copy: almost every line ends the loop at its first character. */
export function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (!isSpace(text.charCodeAt(i))) return false;
  return true;
}

/** A status column: a 3-digit code, or null for `-`/garbage. */
export function parseStatus(text: string | undefined): number | null {
  if (text === undefined || text.length !== 3) return null;
  const status = number(text, 0, 3);
  return Number.isNaN(status) ? null : status;
}

/** A header column: '-' and '' mean "not sent". */
export function headerValue(text: string | undefined): string | undefined {
  return text === undefined || text === '' || text === '-' ? undefined : text;
}
