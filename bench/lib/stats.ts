/** Pure statistics over per-round figures: no I/O, unit-tested in test/bench/harness.test.ts. */

export interface Spread {
  median: number;
  min: number;
  max: number;
  /** How many rounds the figure summarises. */
  n: number;
}

/** Median of a non-empty list (mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] as number;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] as number) + upper) / 2;
}

/** Median, min and max of the finite values; null when there are none (a skipped target). */
export function spread(values: readonly number[]): Spread | null {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return null;
  return { median: median(finite), min: Math.min(...finite), max: Math.max(...finite), n: finite.length };
}

/**
 * Ratio of two figures measured in the same round (so drift of the shared machine cancels).
 * NaN when either side is missing or the denominator is not positive.
 */
export function ratio(numerator: number | undefined, denominator: number | undefined): number {
  if (numerator === undefined || denominator === undefined) return Number.NaN;
  if (!Number.isFinite(numerator) || !Number.isFinite(denominator) || denominator <= 0) return Number.NaN;
  return numerator / denominator;
}

/** Per-round ratios of two series of equal rounds, summarised; null when no round has both. */
export function roundRatios(numerators: readonly number[], denominators: readonly number[]): Spread | null {
  const rounds = Math.min(numerators.length, denominators.length);
  const ratios: number[] = [];
  for (let i = 0; i < rounds; i++) ratios.push(ratio(numerators[i], denominators[i]));
  return spread(ratios);
}

/** Rounds a figure for the table and JSON: at most 3 significant digits after the point (integers stay whole). */
export function round3(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(value))));
  return Number(value.toFixed(Math.min(digits, 6)));
}

/** Whether the last two warm-up rates agree within `tolerance` (relative to the larger). */
export function warmedUp(rates: readonly number[], tolerance = 0.1): boolean {
  if (rates.length < 2) return false;
  const a = rates[rates.length - 2] as number;
  const b = rates[rates.length - 1] as number;
  const high = Math.max(a, b);
  return high > 0 && Math.abs(a - b) / high <= tolerance;
}
