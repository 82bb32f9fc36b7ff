/** Turning per-round wrk results into summaries, ratios and the printed table: pure. */
import { roundRatios, round3, spread, type Spread } from './stats.js';
import type { WrkResult } from './wrk-parse.js';

export interface RunRecord {
  scenario: string;
  target: string;
  round: number;
  result: WrkResult;
  /** CPU time the target process (and its children) spent per request, in µs; NaN if unknown. */
  cpuUsPerRequest: number;
}

export interface TargetSummary {
  scenario: string;
  target: string;
  rps: Spread | null;
  p50Ms: Spread | null;
  p99Ms: Spread | null;
  cpuUsPerRequest: Spread | null;
  non2xx3xx: number;
  socketErrors: number;
}

export interface RatioSummary {
  scenario: string;
  numerator: string;
  denominator: string;
  /** numerator req/s ÷ denominator req/s, per round (> 1: numerator faster). */
  throughput: Spread | null;
  /** numerator p99 ÷ denominator p99, per round (< 1: numerator quicker). */
  p99: Spread | null;
  /** numerator CPU per request ÷ denominator's, per round (< 1: numerator cheaper). */
  cpu: Spread | null;
}

/** Figures of one target in one scenario, ordered by round. */
function series(runs: readonly RunRecord[], scenario: string, target: string, pick: (r: WrkResult) => number): number[] {
  return mine(runs, scenario, target).map((r) => pick(r.result));
}

function mine(runs: readonly RunRecord[], scenario: string, target: string): RunRecord[] {
  return runs.filter((r) => r.scenario === scenario && r.target === target).sort((a, b) => a.round - b.round);
}

function cpuSeries(runs: readonly RunRecord[], scenario: string, target: string): number[] {
  return mine(runs, scenario, target).map((r) => r.cpuUsPerRequest);
}

export function summariseTargets(runs: readonly RunRecord[]): TargetSummary[] {
  const keys = [...new Set(runs.map((r) => `${r.scenario}\u0000${r.target}`))];
  return keys.map((key) => {
    const [scenario = '', target = ''] = key.split('\u0000');
    const mine = runs.filter((r) => r.scenario === scenario && r.target === target);
    return {
      scenario, target,
      rps: spread(series(runs, scenario, target, (r) => r.rps)),
      p50Ms: spread(series(runs, scenario, target, (r) => r.p50Ms)),
      p99Ms: spread(series(runs, scenario, target, (r) => r.p99Ms)),
      cpuUsPerRequest: spread(cpuSeries(runs, scenario, target)),
      non2xx3xx: mine.reduce((s, r) => s + r.result.non2xx3xx, 0),
      socketErrors: mine.reduce((s, r) => s + r.result.socketErrors, 0),
    };
  });
}

/**
 * Ratios of two targets in one scenario, computed round by round (both ran minutes apart at
 * most, so machine drift mostly cancels) and summarised as median, min and max.
 */
export function ratioOf(runs: readonly RunRecord[], scenario: string, numerator: string, denominator: string): RatioSummary {
  return {
    scenario, numerator, denominator,
    throughput: roundRatios(series(runs, scenario, numerator, (r) => r.rps), series(runs, scenario, denominator, (r) => r.rps)),
    p99: roundRatios(series(runs, scenario, numerator, (r) => r.p99Ms), series(runs, scenario, denominator, (r) => r.p99Ms)),
    cpu: roundRatios(cpuSeries(runs, scenario, numerator), cpuSeries(runs, scenario, denominator)),
  };
}

/**
 * One target in two scenarios, round by round (`CodeRed flood` against `1 KiB`: what a flood of
 * detections costs against ordinary traffic), labelled `target (scenario)` over `target (scenario)`.
 */
export function scenarioRatioOf(runs: readonly RunRecord[], target: string, scenario: string, baseline: string): RatioSummary {
  return {
    scenario: `${scenario} vs ${baseline}`, numerator: `${target} (${scenario})`, denominator: `${target} (${baseline})`,
    throughput: roundRatios(series(runs, scenario, target, (r) => r.rps), series(runs, baseline, target, (r) => r.rps)),
    p99: roundRatios(series(runs, scenario, target, (r) => r.p99Ms), series(runs, baseline, target, (r) => r.p99Ms)),
    cpu: roundRatios(cpuSeries(runs, scenario, target), cpuSeries(runs, baseline, target)),
  };
}

export function fmtSpread(s: Spread | null, digits = 2): string {
  if (!s) return 'n/a';
  const f = (v: number): string => (Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : v.toFixed(digits));
  return s.n > 1 ? `${f(s.median)} (${f(s.min)}–${f(s.max)})` : f(s.median);
}

export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function targetTable(summaries: readonly TargetSummary[]): string {
  return markdownTable(
    ['scenario', 'target', 'req/s median (min–max)', 'p50 ms', 'p99 ms median (min–max)', 'CPU µs/req', 'non-2xx', 'socket errors'],
    summaries.map((s) => [s.scenario, s.target, fmtSpread(s.rps, 0), fmtSpread(s.p50Ms && { ...s.p50Ms, n: 1 }), fmtSpread(s.p99Ms),
      fmtSpread(s.cpuUsPerRequest && { ...s.cpuUsPerRequest, n: 1 }, 0), String(s.non2xx3xx), String(s.socketErrors)]),
  );
}

export function ratioTable(ratios: readonly RatioSummary[]): string {
  return markdownTable(
    ['scenario', 'ratio', 'throughput median (min–max)', 'p99 latency median (min–max)', 'CPU per request median (min–max)'],
    ratios.filter((r) => r.throughput || r.p99).map((r) => [r.scenario, `${r.numerator} / ${r.denominator}`, fmtSpread(r.throughput), fmtSpread(r.p99), fmtSpread(r.cpu)]),
  );
}

/** Spreads with figures rounded to 3 significant digits, for the JSON file. */
export function rounded<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' ? round3(v) : v))) as T;
}
