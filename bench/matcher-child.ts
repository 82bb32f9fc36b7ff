/**
 * The matcher micro-benchmark, run in its own process (one core, nothing else in the heap).
 * Uses the detection owner's `bench/matcher.ts` when present, else the minimal fallback.
 * Usage: matcher-child.ts <seconds>; prints `MATCHER_JSON {...}`.
 */
import { existsSync } from 'node:fs';
import { benchMatcherFallback } from './lib/matcher-fallback.js';

const seconds = Number(process.argv[2] ?? 2);
const owned = new URL('./matcher.ts', import.meta.url);
let result: unknown;
let source = 'bench/lib/matcher-fallback.ts';
if (existsSync(owned)) { // the detection owner's runMatcherBench(seconds)
  const mod = (await import(owned.href)) as Record<string, unknown>;
  const fn = mod.runMatcherBench as ((s: number) => unknown) | undefined;
  if (fn) {
    result = await fn(seconds);
    source = 'bench/matcher.ts';
  }
}
result ??= benchMatcherFallback(seconds);
process.stdout.write(`MATCHER_JSON ${JSON.stringify({ source, result })}\n`);
