/**
 * The differential fuzz harness: the strict raw origin, a real `wormwatch serve --mode block`
 * child in front of it, every generated input sent over its own raw socket with bounded
 * concurrency, then the invariants checked (`checks.ts`) and a report built (`report.ts`).
 * A crashed wormwatch is recorded against the inputs in flight and restarted, so one crash does
 * not hide the rest of the run (its counters are then incomplete and not compared).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultEngine } from '../../src/rules/index.js';
import { startRawOrigin, type OriginConnection, type RawOrigin } from '../helpers/raw-origin.js';
import { checkOriginRequests, checkResponses, inputIndexOf, NOTE_KINDS, undeliveredEchoes, type InputIndex, type NoteKind } from './checks.js';
import { sendInput, type ClientLimits, type ClientOutcome } from './client.js';
import { generate, generateOne, type FuzzInput } from './generator.js';
import { escapeBytes, FailureLog, INVARIANTS, type FuzzReport, type Invariant } from './report.js';
import { startWormwatch, type Counters, type ProxySettings, type WormwatchChild } from './wormwatch.js';

export interface HarnessOptions {
  seed: number;
  count: number;
  /** Inputs in flight at once. Default 48. */
  concurrency?: number;
  proxy?: Partial<ProxySettings>;
  /** Longest wait at the end for the origin's sockets to settle. Default 5 s (past the 4 s idle pool). */
  leakWaitMs?: number;
  /** Failures kept per invariant for the report. Default 5. */
  keepFailures?: number;
  /** Only these input indices (to replay failures); default all of `count`. */
  only?: readonly number[];
  onProgress?: (done: number, total: number) => void;
}

/**
 * The response time-out is longer than the client one plus slack on purpose: a connection left
 * waiting until the response time-out while the origin has nothing to answer (issue 9 section 5)
 * then shows as a hang instead of hiding behind the longer bound.
 */
export const DEFAULT_PROXY: ProxySettings = { clientTimeoutMs: 2000, headersTimeoutMs: 1000, responseTimeoutMs: 4000, connectTimeoutMs: 1000 };
/** Origin paths answered late, so a smuggled one's answer is still coming when the next request is. */
const SLOW_PATH = /^\/slow(?:[/?]|$)/;
const SLOW_ANSWER_MS = 150;
/** Origin paths whose HEAD answer carries a body anyway (issue 9 section 5). */
const HEAD_BODY_PATH = /^\/head-body(?:[/?]|$)/;
/** Scheduling slack on top of the configured time-outs before a silent connection counts as hung. */
const SLACK_MS = 1500;

export async function runFuzz(opts: HarnessOptions): Promise<FuzzReport> {
  const started = Date.now();
  const settings = { ...DEFAULT_PROXY, ...opts.proxy };
  const concurrency = opts.concurrency ?? 48;
  const inputs = opts.only === undefined ? generate(opts.seed, opts.count) : sparse(opts.seed, opts.only);
  const origin = await startRawOrigin({
    answerDelayMs: (r) => (SLOW_PATH.test(r.target) ? SLOW_ANSWER_MS : 0),
    headBody: (r) => HEAD_BODY_PATH.test(r.target),
  });
  const dataDir = mkdtempSync(join(tmpdir(), 'wormwatch-fuzz-'));
  const log = new FailureLog<Invariant>(INVARIANTS, opts.keepFailures);
  const notes = new FailureLog<NoteKind>(NOTE_KINDS, opts.keepFailures);
  const byIndex = new Map(inputs.map((i) => [i.index, i]));
  const runner = new ChildRunner(origin.url, settings, dataDir, log, byIndex);
  try {
    await runner.start();
    const fdsStart = runner.child.fds();
    const outcomes = await sendAll(inputs, runner, (input) => clientLimits(settings, origin, input), concurrency, opts.onProgress);
    const leaked = await settleOrigin(origin, concurrency, opts.leakWaitMs ?? 5000);
    const counters = runner.generations === 1 && runner.child.alive() ? await runner.child.counters() : undefined;
    const fdsEnd = runner.child.fds();
    const originComplete = new Set(origin.requests.filter((r) => r.complete && r.fuzzId !== undefined).map((r) => r.fuzzId!));
    for (const input of inputs) {
      const o = outcomes.get(input.index)!;
      if (o.hang !== undefined) log.add('hung', input, `no response or close for ${o.hang.waitedMs} ms, the origin ${o.hang.originOwing ? 'still owing an answer' : 'owing nothing'}: ${o.hang.got} of ${o.hang.owed} owed answers; received ${escapeBytes(o.received, 200)}`, 1, input.category);
      checkResponses(input, o, originComplete, log, notes);
    }
    checkOriginRequests(byIndex, origin.connections, defaultEngine(), log, notes);
    undeliveredEchoes(byIndex, outcomes, origin.requests, notes);
    noteParseErrors(origin.connections, byIndex, notes);
    recordLeaks(leaked, byIndex, log);
    checkCounted(origin, counters, log);
    return buildReport(opts.seed, inputs, outcomes, origin, counters, { start: fdsStart, end: fdsEnd }, log, notes, Date.now() - started, concurrency);
  } finally {
    await runner.stop();
    await origin.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function sparse(seed: number, indices: readonly number[]): FuzzInput[] {
  return [...new Set(indices)].map((i) => generateOne(seed, i));
}

/** What the client waits for (see `client.ts`): the idle bounds, or the origin's time to answer. */
function clientLimits(s: ProxySettings, origin: RawOrigin, input: FuzzInput): ClientLimits {
  return {
    // wormwatch checks the headers time-out at least every 250 ms with these settings.
    idleMs: Math.max(s.headersTimeoutMs + 250, s.clientTimeoutMs) + SLACK_MS,
    originWaitMs: s.responseTimeoutMs + SLACK_MS,
    lingerMs: 60,
    waitingOnOrigin: () => origin.requests.some((r) => r.complete && r.answeredAt === undefined && inputIndexOf(r.fuzzId) === input.index),
  };
}

/** Keeps one wormwatch running; a crash is recorded against the inputs in flight, then it restarts. */
class ChildRunner {
  child!: WormwatchChild;
  generations = 0;
  readonly inFlight = new Set<number>();
  private restarting: Promise<void> | undefined;
  private stopping = false;

  constructor(
    private readonly upstream: string,
    private readonly settings: ProxySettings,
    private readonly dataDir: string,
    private readonly log: FailureLog<Invariant>,
    private readonly inputs: InputIndex,
  ) {}

  async start(): Promise<void> {
    const child = await startWormwatch(this.upstream, this.settings, this.dataDir);
    this.child = child;
    this.generations++;
    void child.exited.then((status) => {
      if (this.stopping) return;
      // One failure per exit; the inputs in flight are the suspects (the first is the example).
      const suspects = [...this.inFlight];
      const named = suspects.slice(0, 12).map((i) => `#${i}`).join(' ') + (suspects.length > 12 ? ` and ${suspects.length - 12} more` : '');
      const first = suspects[0] === undefined ? undefined : this.inputs.get(suspects[0]);
      this.log.add('crashed', first, `wormwatch ${status} with ${suspects.length === 0 ? 'no input' : `inputs ${named}`} in flight; its last output: ${child.tail().slice(-600)}`);
    });
  }

  /** Stops the current wormwatch; its exit is not a crash. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.child?.stop();
  }

  /** The port of a live wormwatch (restarting it if it died). */
  async port(): Promise<number> {
    if (!this.child.alive()) {
      this.restarting ??= this.start().finally(() => (this.restarting = undefined));
      await this.restarting;
    }
    return this.child.proxyPort;
  }
}

async function sendAll(
  inputs: readonly FuzzInput[],
  runner: ChildRunner,
  limitsFor: (input: FuzzInput) => ClientLimits,
  concurrency: number,
  onProgress: HarnessOptions['onProgress'],
): Promise<Map<number, ClientOutcome>> {
  const outcomes = new Map<number, ClientOutcome>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < inputs.length) {
      const input = inputs[next++]!;
      const port = await runner.port();
      runner.inFlight.add(input.index);
      outcomes.set(input.index, await sendInput(port, input, limitsFor(input)));
      runner.inFlight.delete(input.index);
      onProgress?.(outcomes.size, inputs.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, inputs.length) }, worker));
  return outcomes;
}

/**
 * Waits for the origin's connections to be idle and few: at most `allowance` idle pooled
 * sockets may stay (wormwatch retires them after 4 s). Returns the connections still mid-request.
 */
async function settleOrigin(origin: RawOrigin, allowance: number, waitMs: number): Promise<{ busy: OriginConnection[]; extraOpen: number; waitedMs: number }> {
  const start = Date.now();
  for (;;) {
    const busy = origin.busySockets();
    const idleOpen = origin.openSockets() - busy.length;
    if ((busy.length === 0 && idleOpen <= allowance) || Date.now() - start >= waitMs) {
      return { busy, extraOpen: Math.max(0, idleOpen - allowance), waitedMs: Date.now() - start };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The input of the last request with an id on a connection. */
function lastOwner(conn: OriginConnection, inputs: InputIndex): FuzzInput | undefined {
  for (let k = conn.requests.length - 1; k >= 0; k--) {
    const i = inputIndexOf(conn.requests[k]!.fuzzId);
    if (i !== undefined) return inputs.get(i);
  }
  return undefined;
}

function recordLeaks(leaked: Awaited<ReturnType<typeof settleOrigin>>, inputs: InputIndex, log: FailureLog<Invariant>): void {
  for (const conn of leaked.busy) {
    const last = conn.requests[conn.requests.length - 1];
    const what = last === undefined ? 'a partial head' : `${last.method} ${last.target.slice(0, 80)} (id ${last.fuzzId ?? '-'}, ${last.bodyBytes} body bytes read)`;
    log.add('leaked', lastOwner(conn, inputs), `origin connection ${conn.id} still mid-request ${leaked.waitedMs} ms after the last client left: ${what}`, 1, 'mid-request');
  }
  if (leaked.extraOpen > 0) log.add('leaked', undefined, `${leaked.extraOpen} idle origin connections beyond the pool's share still open after ${leaked.waitedMs} ms`, leaked.extraOpen, 'idle-beyond-pool');
}

/** Every request the origin parsed must be one wormwatch counted: forwarded, aborted by its client, or an upstream error. */
function checkCounted(origin: RawOrigin, counters: Counters | undefined, log: FailureLog<Invariant>): void {
  if (counters === undefined) return;
  const heads = origin.requests.length + origin.rejections.length + origin.droppedRequests;
  const upstreamErrors = Object.values(counters.upstreamErrors).reduce((a, b) => a + b, 0);
  const missing = heads - (counters.forwarded + counters.aborted + upstreamErrors);
  const errors = JSON.stringify(counters.upstreamErrors);
  if (missing > 0) log.add('uncounted', undefined, `origin parsed ${heads} requests; wormwatch counted ${counters.forwarded} forwarded + ${counters.aborted} aborted + ${upstreamErrors} upstream errors ${errors}`, missing);
}

function noteParseErrors(connections: readonly OriginConnection[], inputs: InputIndex, notes: FailureLog<NoteKind>): void {
  for (const conn of connections) {
    if (conn.error === undefined) continue;
    const raw = Buffer.concat(conn.raw);
    const at = Math.max(0, conn.error.offset - 40);
    notes.add('originParseError', lastOwner(conn, inputs), `origin connection ${conn.id}: ${conn.error.code} at byte ${conn.error.offset}: …${escapeBytes(raw.subarray(at, at + 240), 300)}`);
  }
}

function buildReport(
  seed: number,
  inputs: readonly FuzzInput[],
  outcomes: ReadonlyMap<number, ClientOutcome>,
  origin: RawOrigin,
  counters: Counters | undefined,
  fds: FuzzReport['fds'],
  log: FailureLog<Invariant>,
  notes: FailureLog<NoteKind>,
  durationMs: number,
  concurrency: number,
): FuzzReport {
  const count = <K extends string>(keys: Iterable<K>): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const k of keys) out[k] = (out[k] ?? 0) + 1;
    return out;
  };
  const all = [...outcomes.values()];
  return {
    seed,
    inputs: inputs.length,
    durationMs,
    concurrency,
    categories: count(inputs.map((i) => i.category)),
    responsesByStatus: count(all.flatMap((o) => o.responses.map((r) => String(r.status)))),
    closes: all.filter((o) => o.closedByServer).length,
    clientResets: inputs.filter((i) => i.after === 'reset').length,
    mustRefuse: inputs.filter((i) => i.expect.mustRefuse).length,
    origin: {
      connections: origin.connections.length,
      requests: origin.requests.length,
      rejections: origin.rejections.length,
      parseErrors: origin.connections.filter((c) => c.error !== undefined).length,
      openAtEnd: origin.openSockets(),
    },
    counters: {
      forwarded: counters?.forwarded ?? 0,
      blocked: counters?.blocked ?? 0,
      error: counters?.error ?? 0,
      upstreamErrors: Object.values(counters?.upstreamErrors ?? {}).reduce((a, b) => a + b, 0),
      complete: counters !== undefined,
    },
    fds,
    counts: log.counts,
    kinds: log.kinds,
    failures: log.kept,
    notes: notes.kept,
    noteCounts: notes.counts,
  };
}
