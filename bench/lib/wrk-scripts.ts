/** Lua scripts for wrk, generated so the request lists live in TypeScript (traffic.ts). */
import type { BenchRequest } from './traffic.js';

/** Exact figures (microseconds) on one line; `parseWrkOutput` reads it. */
const DONE = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%.0f,"duration_us":%.0f,"bytes":%.0f,"p50_us":%.1f,"p99_us":%.1f,' ..
    '"connect":%.0f,"read":%.0f,"write":%.0f,"status":%.0f,"timeout":%.0f}\\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
`;

/** One fixed request (wrk's static fast path: no Lua per request). */
export function reportScript(): string {
  return DONE;
}

function luaString(text: string): string {
  if (!/^[\x20-\x7e]*$/.test(text)) throw new Error(`bench requests must be printable ASCII: ${text}`);
  return JSON.stringify(text); // for printable ASCII, JSON escapes (\\ and \") are Lua escapes too
}

function luaRequest(r: BenchRequest): string {
  const headers = Object.entries(r.headers).map(([k, v]) => `[${luaString(k)}] = ${luaString(v)}`).join(', ');
  return `wrk.format(${luaString(r.method)}, ${luaString(r.path)}, { ${headers} })`;
}

/** Cycles through `requests` in order, one Lua call per request (the same cost for every target). */
export function rotationScript(requests: readonly BenchRequest[]): string {
  if (requests.length === 0) throw new Error('rotation needs at least one request');
  return `
local reqs = {}
local i = 0
init = function(args)
${requests.map((r) => `  reqs[#reqs + 1] = ${luaRequest(r)}`).join('\n')}
end
request = function()
  i = i + 1
  if i > #reqs then i = 1 end
  return reqs[i]
end
${DONE}`;
}

/**
 * Every request gets a distinct X-Forwarded-For in 10.0.0.0/8 (private: the notifier never
 * looks such addresses up or writes to them) and a worm path: the offender flood through the proxy.
 */
export function floodScript(path: string): string {
  return `
local n = 0
request = function()
  n = n + 1
  local v = n % 16777216
  local ip = string.format("10.%d.%d.%d", math.floor(v / 65536), math.floor(v / 256) % 256, v % 256)
  return wrk.format("GET", ${luaString(path)}, { ["X-Forwarded-For"] = ip })
end
${DONE}`;
}
