/** Parsing wrk's output: pure, unit-tested. The Lua `done` hook (see wrk-scripts.ts) prints exact figures. */

export interface WrkResult {
  requests: number;
  durationS: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Socket errors (connect, read, write, timeout) added up. */
  socketErrors: number;
  /** Responses with a status outside 2xx/3xx (block mode answers worms with 403: expected there). */
  non2xx3xx: number;
}

const MARKER = 'WRK_JSON ';

/** Reads the `WRK_JSON {...}` line our Lua script prints, else falls back to wrk's text report. */
export function parseWrkOutput(stdout: string): WrkResult {
  const line = stdout.split('\n').find((l) => l.startsWith(MARKER));
  return line ? parseJsonLine(line.slice(MARKER.length)) : parseWrkText(stdout);
}

function parseJsonLine(json: string): WrkResult {
  const j = JSON.parse(json) as Record<string, number>;
  const num = (k: string): number => {
    const v = j[k];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`wrk report lacks ${k}: ${json}`);
    return v;
  };
  const durationS = num('duration_us') / 1e6;
  return {
    requests: num('requests'),
    durationS,
    rps: durationS > 0 ? num('requests') / durationS : 0,
    p50Ms: num('p50_us') / 1000,
    p99Ms: num('p99_us') / 1000,
    socketErrors: num('connect') + num('read') + num('write') + num('timeout'),
    non2xx3xx: num('status'),
  };
}

/** `812.00us`, `1.23ms`, `2.01s`, `1.5m` → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (!m) throw new Error(`not a wrk duration: ${text}`);
  const unitMs: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  return Number(m[1]) * (unitMs[m[2] as string] as number);
}

/** The human report of `wrk --latency` (no Lua script). */
export function parseWrkText(stdout: string): WrkResult {
  const find = (re: RegExp, what: string): RegExpExecArray => {
    const m = re.exec(stdout);
    if (!m) throw new Error(`wrk output lacks ${what}:\n${stdout.slice(0, 2000)}`);
    return m;
  };
  const total = find(/(\d+) requests in ([\d.]+\w+),/, 'the request count');
  const rps = find(/Requests\/sec:\s+([\d.]+)/, 'Requests/sec');
  const p50 = find(/^\s+50(?:\.0+)?%\s+(\S+)/m, 'the 50% latency (run with --latency)');
  const p99 = find(/^\s+99(?:\.0+)?%\s+(\S+)/m, 'the 99% latency (run with --latency)');
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(stdout);
  return {
    requests: Number(total[1]),
    durationS: parseDuration(total[2] as string) / 1000,
    rps: Number(rps[1]),
    p50Ms: parseDuration(p50[1] as string),
    p99Ms: parseDuration(p99[1] as string),
    socketErrors: sock ? sock.slice(1, 5).reduce((sum, n) => sum + Number(n), 0) : 0,
    non2xx3xx: non2xx ? Number(non2xx[1]) : 0,
  };
}
