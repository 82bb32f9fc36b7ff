/** Command-line settings of `npm run bench`: pure, unit-tested. */
import { parseArgs } from 'node:util';

export interface Settings {
  quick: boolean;
  /** Seconds each measured wrk run lasts. */
  durationS: number;
  /** Most seconds of unrecorded load per target and scenario before round 1 (until steady; JIT, pools). */
  warmupS: number;
  rounds: number;
  connections: number;
  threads: number;
  /** Distinct addresses driven into the detection + offender pipeline. */
  floodAddresses: number;
  /** Seconds of distinct-X-Forwarded-For load through the proxy (0: skip). */
  proxyFloodS: number;
  /** Seconds per matcher case. */
  matcherS: number;
  /** Run `npm run build` first so wormwatch runs from dist/. */
  build: boolean;
  /** Also measure `serve --workers N` when N > 1 (if the CLI has it). */
  workers: number;
  /** `--only a,b`: measure only these throughput targets (origin always runs as the upstream), nothing else. */
  only: string[] | null;
  out: string;
}

export const HELP = `npm run bench [-- options]
  --quick              short smoke run (2 s per target, 1 round, 2 s warm-up, smaller flood)
  --duration <s>       seconds per measured run (default 4)
  --warmup <s>         most unrecorded warm-up per target and scenario, in 2 s chunks
                       until two agree within 10% (default 12)
  --rounds <n>         interleaved rounds (default 5)
  --connections <n>    wrk connections (default 50)
  --threads <n>        wrk threads (default 1)
  --flood <n>          distinct addresses in the memory flood (default 1000000)
  --proxy-flood <s>    seconds of distinct X-Forwarded-For through the proxy (default 20, 0 skips)
  --matcher <s>        seconds per matcher case (default 2)
  --workers <n>        also measure wormwatch serve --workers n (default 0: not measured)
  --only <targets>     only these throughput targets, comma-separated (nginx,nginx-njs,
                       nginx-map-njs,nginx-map,bare,origin,wormwatch,...); no matcher or memory part
  --no-build           do not run npm run build first
  --out <file>         JSON result file (default bench/results/latest.json)`;

/** A bad command line: printed as one line with a pointer to --help, exit 2. */
export class UsageError extends Error {}

function positive(name: string, text: string | undefined, fallback: number, allowZero = false): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) throw new UsageError(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${text}`);
  return n;
}

const FLAGS = {
  quick: { type: 'boolean', default: false },
  duration: { type: 'string' }, warmup: { type: 'string' }, rounds: { type: 'string' },
  connections: { type: 'string' }, threads: { type: 'string' }, flood: { type: 'string' },
  'proxy-flood': { type: 'string' }, matcher: { type: 'string' }, workers: { type: 'string' }, only: { type: 'string' },
  'no-build': { type: 'boolean', default: false }, out: { type: 'string' },
} as const;

function readFlags(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], options: FLAGS, strict: true }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** The names of `--only`, or null without it. */
function onlyTargets(text: string | undefined): string[] | null {
  if (text === undefined) return null;
  const names = text.split(',').map((n) => n.trim()).filter((n) => n.length > 0);
  if (names.length === 0 || names.some((n) => !/^[a-z0-9-]+$/.test(n))) throw new UsageError(`--only wants target names separated by commas, got ${text}`);
  return names;
}

export function parseSettings(argv: readonly string[]): Settings {
  const values = readFlags(argv);
  const quick = values.quick === true;
  const rounds = positive('rounds', values.rounds, quick ? 1 : 5);
  const connections = positive('connections', values.connections, 50);
  const threads = positive('threads', values.threads, 1);
  for (const [name, v] of [['rounds', rounds], ['connections', connections], ['threads', threads]] as const) {
    if (!Number.isInteger(v)) throw new UsageError(`--${name} must be a whole number, got ${v}`);
  }
  if (threads > connections) throw new UsageError('--threads must not exceed --connections (wrk needs a connection per thread)');
  return {
    quick,
    durationS: positive('duration', values.duration, quick ? 2 : 4),
    warmupS: positive('warmup', values.warmup, quick ? 2 : 12, true),
    rounds,
    connections,
    threads,
    floodAddresses: Math.floor(positive('flood', values.flood, quick ? 200_000 : 1_000_000)),
    proxyFloodS: positive('proxy-flood', values['proxy-flood'], quick ? 0 : 20, true),
    matcherS: positive('matcher', values.matcher, quick ? 0.5 : 2),
    build: values['no-build'] !== true,
    workers: Math.floor(positive('workers', values.workers, 0, true)),
    only: onlyTargets(values.only),
    out: values.out ?? 'bench/results/latest.json',
  };
}
