/**
 * CPU time a target process (and its children: nginx's worker, cluster workers) used, read from
 * /proc. CPU per request is far steadier than requests/s on a shared machine: another tenant's
 * load slows a target down but barely changes what each request costs it.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** utime + stime (clock ticks) and the parent pid from one `/proc/<pid>/stat` line. */
export function parseStat(line: string): { ppid: number; ticks: number } {
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  const fields = line.slice(line.lastIndexOf(')') + 2).split(' ');
  const num = (i: number): number => Number(fields[i]);
  const ticks = num(11) + num(12);
  if (!Number.isFinite(ticks) || !Number.isFinite(num(1))) throw new Error(`unexpected /proc stat line: ${line.slice(0, 120)}`);
  return { ppid: num(1), ticks };
}

function readStat(pid: number): { ppid: number; ticks: number } | null {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null; // gone, or not Linux
  }
}

/** Clock ticks per second of /proc times (USER_HZ, 100 on every Linux this runs on). */
export const TICKS_PER_S = 100;

/** CPU seconds used so far by `pid` and every live descendant; NaN without /proc. */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const root = readStat(pid);
  if (!root) return Number.NaN;
  const children = new Map<number, number[]>();
  const ticks = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (!s) continue;
    ticks.set(Number(name), s.ticks);
    children.set(s.ppid, [...(children.get(s.ppid) ?? []), Number(name)]);
  }
  let total = 0;
  const stack = [pid];
  for (let guard = 0; stack.length > 0 && guard < 10_000; guard++) {
    const p = stack.pop()!;
    total += ticks.get(p) ?? (p === pid ? root.ticks : 0);
    stack.push(...(children.get(p) ?? []));
  }
  return total / TICKS_PER_S;
}
