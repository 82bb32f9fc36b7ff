
const MONTHS: Record<string, number> = { jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11 };

export { normaliseAddress } from '../../address.js';

/** `10/Oct/2004:04:20:13 -0400` (Apache/nginx); also the numeric-month variant `06/10/2021:…` cPanel writes. */
export function parseClfDate(text: string): Date | null {
  const m = /^(\d{1,2})\/(\w{2,3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?:\s+([+-])(\d{2})(\d{2}))?$/.exec(text);
  if (!m) return null;
  const month = /^\d+$/.test(m[2]!) ? Number(m[2]) - 1 : MONTHS[m[2]!.toLowerCase()];
  if (month === undefined || month < 0 || month > 11) return null;
  const offset = m[7] ? (m[7] === '-' ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9])) : 0;
  const utc = Date.UTC(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  return new Date(utc - offset * 60_000);
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

/** A status column: a 3-digit code, or null for `-`/garbage. */
export function parseStatus(text: string | undefined): number | null {
  return text && /^\d{3}$/.test(text) ? Number(text) : null;
}

/** A header column: '-' and '' mean "not sent". */
export function headerValue(text: string | undefined): string | undefined {
  return text === undefined || text === '' || text === '-' ? undefined : text;
}
