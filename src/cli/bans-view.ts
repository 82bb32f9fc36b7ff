import { sanitiseLine } from '../detect/sanitise.js';
import { AdminAnswerError } from '../errors.js';

/** A ban as `GET /bans` shows it (see src/bans/endpoints.ts `view`). */
export interface BanRow {
  ip: string;
  since: string;
  until: string | null;
  remainingSeconds: number | null;
  count: number;
  reason: string;
  signature: string | null;
}

export interface BanList {
  enabled: boolean;
  total: number;
  count: number;
  bans: BanRow[];
}

/** Longest cell shown: a hostile server's strings cannot push the table off the screen. */
const CELL_MAX = 80;

/** `GET /bans`'s answer, checked field by field; throws AdminAnswerError for anything else. Pure. */
export function asBanList(data: unknown): BanList {
  const o = data as Partial<Record<keyof BanList, unknown>> | null;
  if (typeof o !== 'object' || o === null || !Array.isArray(o.bans) || typeof o.total !== 'number') throw notBans();
  return { enabled: o.enabled === true, total: o.total, count: o.bans.length, bans: o.bans.map(asBanRow) };
}

/** One ban (`POST /bans`'s answer, an element of `GET /bans`); throws AdminAnswerError. Pure. */
export function asBanRow(data: unknown): BanRow {
  const b = data as Partial<Record<keyof BanRow, unknown>> | null;
  if (typeof b !== 'object' || b === null || typeof b.ip !== 'string' || typeof b.count !== 'number') throw notBans();
  const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  return {
    ip: b.ip,
    since: text(b.since) ?? '',
    until: text(b.until),
    remainingSeconds: typeof b.remainingSeconds === 'number' ? b.remainingSeconds : null,
    count: b.count,
    reason: text(b.reason) ?? '',
    signature: text(b.signature),
  };
}

function notBans(): Error {
  return new AdminAnswerError('the answer is not a wormwatch ban list: is --admin a wormwatch admin server?');
}

/** `IP UNTIL LEFT COUNT REASON SIGNATURE`, one ban a line, columns aligned, every cell sanitised. Pure. */
export function banTable(bans: readonly BanRow[]): string {
  const rows = [['IP', 'UNTIL', 'LEFT', 'COUNT', 'REASON', 'SIGNATURE'], ...bans.map((b) => [
    b.ip, b.until ?? 'never', timeLeft(b.remainingSeconds), String(b.count), b.reason || '-', b.signature ?? '-',
  ].map((cell) => sanitiseLine(cell, CELL_MAX)))];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}

/** `1d2h`, `2h5m`, `5m3s`, `42s`; `forever` for a ban that holds until lifted. Pure. */
export function timeLeft(seconds: number | null): string {
  if (seconds === null) return 'forever';
  const s = Math.max(0, Math.round(seconds));
  const [d, h, m] = [Math.floor(s / 86_400), Math.floor((s % 86_400) / 3600), Math.floor((s % 3600) / 60)];
  if (d > 0) return `${d}d${h}h`;
  if (h > 0) return `${h}h${m}m`;
  if (m > 0) return `${m}m${s % 60}s`;
  return `${s}s`;
}

/** The one line `bans add` prints. Pure. */
export function bannedLine(b: BanRow): string {
  const ip = sanitiseLine(b.ip, CELL_MAX);
  if (b.until === null) return `banned ${ip} until lifted (ban ${b.count} of this address)\n`;
  return `banned ${ip} for ${timeLeft(b.remainingSeconds)}, until ${sanitiseLine(b.until, CELL_MAX)} (ban ${b.count} of this address)\n`;
}
