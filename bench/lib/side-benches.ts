/** The matcher micro-benchmark and the memory floods, each in its own process. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { httpText, runBounded, stopChild } from './children.js';
import type { Settings } from './settings.js';
import { markdownTable } from './report.js';
import { ROOT, startWormwatch } from './targets.js';
import { wormRequests } from './traffic.js';
import { runWrk } from './wrk.js';
import { floodScript } from './wrk-scripts.js';

const TSX = ['--import', 'tsx'];

export interface MatcherResult { source: string; result: unknown }

export async function runMatcher(settings: Settings): Promise<MatcherResult> {
  const { code, stdout, stderr } = await runBounded(process.execPath, [...TSX, join(ROOT, 'bench/matcher-child.ts'), String(settings.matcherS)],
    (settings.matcherS * 20 + 120) * 1000, { cwd: ROOT });
  const line = stdout.split('\n').find((l) => l.startsWith('MATCHER_JSON '));
  if (code !== 0 || !line) throw new Error(`matcher benchmark failed (${code}): ${stderr.slice(-1500)}`);
  return JSON.parse(line.slice('MATCHER_JSON '.length)) as MatcherResult;
}

export interface PipelineFlood {
  addresses: number; detections: number; elapsedS: number; eventsPerS: number;
  offenderBound: number; offendersAfter: number; maxOffenders: number;
  rssBeforeMiB: number; rssAfterMiB: number; rssPeakMiB: number; rssGrowthMiB: number; heapUsedAfterMiB: number;
}

export async function runPipelineFlood(settings: Settings, tmp: string): Promise<PipelineFlood> {
  const out = join(tmp, 'flood.json');
  const { code, stderr } = await runBounded(process.execPath,
    ['--expose-gc', ...TSX, join(ROOT, 'bench/flood-child.ts'), String(settings.floodAddresses), tmp, out],
    600_000, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  if (code !== 0) throw new Error(`memory flood failed (${code}): ${stderr.slice(-1500)}`);
  return JSON.parse(readFileSync(out, 'utf8')) as PipelineFlood;
}

export interface ProxyFlood {
  seconds: number; distinctAddresses: number; rps: number; offenderBound: number; offendersAfter: number | null;
  rssBeforeMiB: number; rssAfterMiB: number; rssPeakMiB: number; rssGrowthMiB: number;
}

function rssMiB(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** Distinct X-Forwarded-For addresses through a real wormwatch (`--trust-proxy 127.0.0.1/32`). */
export async function runProxyFlood(settings: Settings, tmp: string, originPort: number): Promise<ProxyFlood> {
  const ww = await startWormwatch({ name: 'wormwatch-flood', originPort, mode: 'monitor', tmp, extra: ['--trust-proxy', '127.0.0.1/32'] });
  try {
    const script = join(tmp, 'flood.lua');
    writeFileSync(script, floodScript(wormRequests[0]!.path));
    const pid = ww.child?.pid;
    const before = rssMiB(pid);
    let peak = before;
    const sampler = setInterval(() => { peak = Math.max(peak, rssMiB(pid)); }, 250);
    const result = await runWrk({ port: ww.port, path: '/', script, connections: settings.connections, threads: 1, durationS: settings.proxyFloodS })
      .finally(() => clearInterval(sampler));
    const after = rssMiB(pid);
    const metrics = await httpText(ww.adminPort!, '/metrics');
    const offenders = /^wormwatch_offenders (\d+)/m.exec(metrics);
    return {
      seconds: settings.proxyFloodS, distinctAddresses: Math.min(result.requests, 2 ** 24), rps: result.rps,
      offenderBound: 100_000, offendersAfter: offenders ? Number(offenders[1]) : null,
      rssBeforeMiB: before, rssAfterMiB: after, rssPeakMiB: Math.max(peak, after), rssGrowthMiB: after - before,
    };
  } finally {
    if (ww.child) await stopChild(ww.child);
  }
}

interface MatcherRow { catalogue?: string; signatures?: number; mix?: string; inputs?: number; classificationsPerS?: number; requestStagePerS?: number }

/** One line for the summary: the built-in catalogue's benign and worm mixes (issue 16: 1,000,000 and 500,000 a second). */
export function matcherSummary(m: MatcherResult): string {
  const rows = Array.isArray(m.result) ? (m.result as MatcherRow[]) : [];
  const rate = (mix: string): string => {
    const v = rows.find((r) => r.catalogue === 'builtin' && r.mix === mix)?.classificationsPerS;
    return v === undefined ? 'n/a' : Math.round(v).toLocaleString('en-US');
  };
  return `matcher, built-in catalogue, one core: benign mix ${rate('benign')} classifications/s, worm mix ${rate('worm')} classifications/s`;
}

export function matcherTable(m: MatcherResult): string {
  const rows = Array.isArray(m.result) ? (m.result as MatcherRow[]) : [];
  const n = (v: number | undefined): string => (v === undefined ? 'n/a' : Math.round(v).toLocaleString('en-US'));
  const growth = ['benign', 'worm'].map((mix) => {
    const base = rows.find((r) => r.catalogue === 'builtin' && r.mix === mix)?.classificationsPerS;
    const grown = rows.find((r) => r.catalogue === 'builtin x10' && r.mix === mix)?.classificationsPerS;
    return base && grown ? `${mix} ${(base / grown).toFixed(2)}x` : null;
  }).filter((g) => g !== null);
  return `matcher (${m.source}; one classification = normalise + request-stage match + 404-stage match):\n${markdownTable(
    ['catalogue', 'signatures', 'mix', 'inputs', 'classifications/s (one core)', 'request stage only /s'],
    rows.map((r) => [String(r.catalogue), String(r.signatures), String(r.mix), String(r.inputs ?? 'n/a'), n(r.classificationsPerS), n(r.requestStagePerS)]))}${
    growth.length > 0 ? `\ntime per classification, 10x signatures vs builtin: ${growth.join(', ')}` : ''}`;
}

export function memoryTable(p: PipelineFlood, x: ProxyFlood | null): string {
  const mib = (v: number): string => `${v.toFixed(0)} MiB`;
  const rows = [[`pipeline, ${p.addresses.toLocaleString('en-US')} addresses`, `${p.offendersAfter.toLocaleString('en-US')} (max ${p.maxOffenders.toLocaleString('en-US')})`, p.offenderBound.toLocaleString('en-US'), mib(p.rssBeforeMiB), mib(p.rssAfterMiB), mib(p.rssPeakMiB), mib(p.rssGrowthMiB)]];
  if (x) rows.push([`proxy + X-Forwarded-For, ${x.distinctAddresses.toLocaleString('en-US')} addresses`, String(x.offendersAfter ?? 'n/a'), x.offenderBound.toLocaleString('en-US'), mib(x.rssBeforeMiB), mib(x.rssAfterMiB), mib(x.rssPeakMiB), mib(x.rssGrowthMiB)]);
  return markdownTable(['memory flood', 'offenders after', 'bound', 'RSS before', 'RSS after', 'RSS peak', 'growth'], rows);
}
