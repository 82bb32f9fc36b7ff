/**
 * `npm run bench`: wormwatch against bare http-proxy-3, nginx and the origin, and nginx with
 * wormwatch's njs module (every request, or the map's suspects) beside bare nginx, interleaved round
 * by round; the matcher micro-benchmark; memory under an address flood. See bench/README.md.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { defaultEngine } from '../src/rules/index.js';
import { BanFile } from '../src/bans/store.js';
import { createLogger } from '../src/log.js';
import { filledTable } from './lib/ban-table.js';
import { VERSION } from '../src/version.js';
import { httpText, runBounded, stopAll, stopChild } from './lib/children.js';
import { cpuSeconds } from './lib/cpu.js';
import { describeMachine } from './lib/machine.js';
import { NGINX_TARGETS, NJS_MODULE, nginxAvailable, nginxVersion, njsAvailable } from './lib/nginx.js';
import { ratioOf, ratioTable, rounded, scenarioRatioOf, summariseTargets, targetTable, type RunRecord } from './lib/report.js';
import { warmedUp } from './lib/stats.js';
import { HELP, parseSettings, UsageError, type Settings } from './lib/settings.js';
import { ROOT, startBareProxy, startNginxTarget, startOrigin, startWormwatch, wormwatchEntry, type Target } from './lib/targets.js';
import { wormMix, wormRequests } from './lib/traffic.js';
import { runWrk, WRK_BIN, wrkVersion } from './lib/wrk.js';
import { reportScript, rotationScript } from './lib/wrk-scripts.js';
import { matcherSummary, matcherTable, memoryTable, runMatcher, runPipelineFlood, runProxyFlood } from './lib/side-benches.js';

interface Scenario { name: string; path: string; script: string; targets: string[] }

const WARMUP_CHUNK_S = 2;
/** The scenario of every request a detection (CodeRed from one client). */
const FLOOD = 'CodeRed flood';

const silentLogger = createLogger('silent');
const log = (msg: string): void => { process.stderr.write(`bench: ${msg}\n`); };

async function build(settings: Settings): Promise<string> {
  if (!settings.build) return 'skipped (--no-build)';
  log('npm run build (wormwatch runs from dist/ like an installed copy)');
  const { code, stderr, stdout } = await runBounded('npm', ['run', '--silent', 'build'], 300_000, { cwd: ROOT });
  if (code === 0) return 'ok';
  log(`build exited ${code}; using what was emitted:\n${(stdout + stderr).slice(0, 1500)}`);
  return `exit ${code}`;
}

/** Each worm request of the mix must really be a detection, or the mix measures nothing. */
function wormSanity(): { detected: number; of: number } {
  const engine = defaultEngine();
  let detected = 0;
  for (const r of wormRequests) {
    const lower = Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k.toLowerCase(), v]));
    const n = engine.normalise({ method: r.method, target: r.path, headers: lower });
    if (engine.match(n, 'request') ?? engine.match(n, '404')) detected++;
  }
  return { detected, of: wormRequests.length };
}

async function detectionsOf(target: Target): Promise<number | null> {
  if (!target.adminPort) return null;
  const text = await httpText(target.adminPort, '/metrics').catch(() => '');
  let sum = 0;
  for (const m of text.matchAll(/^wormwatch_detections_total\{[^}]*\} (\d+(?:\.\d+)?)/gm)) sum += Number(m[1]);
  return sum;
}

/** Whether `--only` (when given) names the target; the origin always runs, as everyone's upstream. */
function wanted(settings: Settings, name: string): boolean {
  return settings.only === null || name === 'origin' || settings.only.includes(name);
}

async function startNginxTargets(settings: Settings, tmp: string, originPort: number, targets: Map<string, Target>, skipped: string[]): Promise<void> {
  if (!nginxAvailable()) {
    skipped.push('nginx: /usr/sbin/nginx not found (apt-get install nginx-light)');
    return;
  }
  const signatures = defaultEngine().signatures;
  for (const variant of ['bare', 'njs', 'map-njs', 'map'] as const) {
    const name = NGINX_TARGETS[variant];
    if (!wanted(settings, name)) continue;
    if (variant.includes('njs') && !njsAvailable()) skipped.push(`${name}: ${NJS_MODULE} not found (apt-get install libnginx-mod-http-js)`);
    else targets.set(name, await startNginxTarget(tmp, originPort, variant, signatures));
  }
}

async function startTargets(settings: Settings, tmp: string, skipped: string[]): Promise<Map<string, Target>> {
  const targets = new Map<string, Target>();
  const origin = await startOrigin();
  targets.set('origin', origin);
  if (wanted(settings, 'bare')) targets.set('bare', await startBareProxy(origin.port, 256));
  await startNginxTargets(settings, tmp, origin.port, targets, skipped);
  const ww = async (name: string, mode: 'monitor' | 'block', extra: string[] = []): Promise<void> => {
    if (wanted(settings, name)) targets.set(name, await startWormwatch({ name, originPort: origin.port, mode, tmp, extra }));
  };
  await ww('wormwatch', 'monitor');
  await ww('wormwatch-block', 'block');
  // The ban check's cost inside the proxy: block mode with 100,000 bans loaded (none of them the
  // bench client's, which is loopback and never banned), against wormwatch-block without.
  if (wanted(settings, 'wormwatch-bans')) seedBans(join(tmp, 'wormwatch-bans-data'), 100_000);
  await ww('wormwatch-bans', 'block', ['--ban-ttl', '1h']);
  if (settings.workers > 1 && wanted(settings, `wormwatch-${settings.workers}w`)) {
    try {
      await ww(`wormwatch-${settings.workers}w`, 'monitor', ['--workers', String(settings.workers)]);
    } catch (err) {
      skipped.push(`wormwatch --workers ${settings.workers}: ${(err as Error).message}`);
    }
  }
  return targets;
}

/** Writes `n` bans (half IPv4, half IPv6 /64s, none loopback) into `dataDir`/bans.sqlite, as a running wormwatch would. */
function seedBans(dataDir: string, n: number): void {
  const table = filledTable(n);
  const file = new BanFile(dataDir, silentLogger, 2 * n + 400, () => table.values());
  for (const ban of table.values()) file.change(ban.key, ban);
  if (!file.flush()) throw new Error(`could not write the seeded bans into ${dataDir}`);
  file.close();
}

function scenarios(settings: Settings, tmp: string, targets: Map<string, Target>): Scenario[] {
  const report = join(tmp, 'report.lua');
  const mix = join(tmp, 'mix.lua');
  writeFileSync(report, reportScript());
  writeFileSync(mix, rotationScript(wormMix(100)));
  // The origin always runs (everyone's upstream) but is measured only when wanted.
  const have = (names: string[]): string[] => names.filter((n) => targets.has(n) && (n !== 'origin' || settings.only === null || settings.only.includes(n)));
  const workers = [...targets.keys()].filter((n) => /^wormwatch-\d+w$/.test(n));
  const plain = have(['origin', 'bare', 'nginx', 'wormwatch', ...workers]);
  // nginx with the njs module: ordinary requests and the worm mix (its cost does not grow with the body).
  const njs = have(['nginx-njs', 'nginx-map-njs', 'nginx-map']);
  return [
    { name: '1 KiB', path: '/1k', script: report, targets: [...plain, ...njs] },
    { name: '100 KiB', path: '/100k', script: report, targets: plain },
    { name: '1% worms', path: '/1k', script: mix, targets: have(['origin', 'bare', 'nginx', ...njs, 'wormwatch', 'wormwatch-block', 'wormwatch-bans', ...workers]) },
    // Every request a detection from one client (a worm outbreak, a scanner): the origin answers
    // 404, as a real site does; block mode answers 403 itself. Compared with `1 KiB` (ordinary
    // traffic) round by round, and with bare under the same requests.
    { name: FLOOD, path: wormRequests[0]!.path, script: report, targets: have(['bare', 'wormwatch', 'wormwatch-block', ...workers]) },
  ].filter((s) => s.targets.length > 0);
}

async function throughput(settings: Settings, list: Scenario[], targets: Map<string, Target>): Promise<RunRecord[]> {
  const runs: RunRecord[] = [];
  const wrk = (s: Scenario, t: Target, durationS: number) => runWrk({
    port: t.port, path: s.path, script: s.script, connections: settings.connections, threads: settings.threads, durationS,
  });
  // Warm-up until steady: a fresh Node proxy takes several seconds of load to reach its JIT-ed
  // speed (longer when other work starves V8's compiler threads), so fixed short warm-ups are not
  // enough. Chunks of WARMUP_CHUNK_S until two in a row agree within 10%, at most warmupS.
  if (settings.warmupS > 0) {
    for (const s of list) for (const name of s.targets) {
      const chunkS = Math.min(WARMUP_CHUNK_S, settings.warmupS);
      const seen: number[] = [];
      for (let spent = 0; spent < settings.warmupS; spent += chunkS) {
        seen.push((await wrk(s, targets.get(name)!, chunkS)).rps);
        if (warmedUp(seen)) break;
      }
      log(`warm-up ${s.name} ${name}: ${seen.map((r) => Math.round(r)).join(' → ')} req/s`);
    }
  }
  // Round by round, every target in turn (A B C D, A B C D, ...): drift hits all alike.
  for (let round = 1; round <= settings.rounds; round++) {
    for (const s of list) for (const name of s.targets) {
      const target = targets.get(name)!;
      const cpuBefore = cpuSeconds(target.child?.pid);
      const result = await wrk(s, target, settings.durationS);
      const cpuUsPerRequest = ((cpuSeconds(target.child?.pid) - cpuBefore) * 1e6) / Math.max(1, result.requests);
      log(`round ${round}/${settings.rounds} ${s.name} ${name}: ${Math.round(result.rps)} req/s, p99 ${result.p99Ms.toFixed(2)} ms, ${cpuUsPerRequest.toFixed(0)} CPU µs/req`);
      runs.push({ scenario: s.name, target: name, round, result, cpuUsPerRequest });
    }
  }
  return runs;
}

function ratiosFor(runs: RunRecord[], list: Scenario[]) {
  const pairs: Array<[string, string]> = [['wormwatch', 'bare'], ['wormwatch', 'nginx'], ['wormwatch', 'origin'], ['bare', 'origin'], ['nginx', 'origin'], ['wormwatch-bans', 'wormwatch-block'],
    ['nginx-njs', 'nginx'], ['nginx-map-njs', 'nginx'], ['nginx-map', 'nginx']];
  const out = [];
  for (const s of list) {
    const extra: Array<[string, string]> = s.targets.filter((t) => t.startsWith('wormwatch-')).map((t) => [t, 'bare']);
    for (const [a, b] of [...pairs, ...extra]) if (s.targets.includes(a) && s.targets.includes(b)) out.push(ratioOf(runs, s.name, a, b));
  }
  // What a flood of detections costs wormwatch against its ordinary traffic (issue 16: ≥ 0.8).
  const flood = list.find((s) => s.name === FLOOD);
  const plain = list.find((s) => s.name === '1 KiB');
  for (const t of ['wormwatch', 'bare']) if (flood?.targets.includes(t) && plain?.targets.includes(t)) out.push(scenarioRatioOf(runs, t, FLOOD, plain.name));
  return out;
}

async function main(): Promise<void> {
  if (process.argv.includes('--help')) { process.stdout.write(`${HELP}\n`); return; }
  const settings = parseSettings(process.argv.slice(2));
  const started = Date.now();
  const tmp = mkdtempSync(join(tmpdir(), 'wormwatch-bench-'));
  const skipped: string[] = [];
  const machine = describeMachine(await wrkVersion(), nginxAvailable() ? await nginxVersion() : 'missing');
  const buildStatus = await build(settings);
  const runtime = wormwatchEntry().runtime;
  log(`machine: ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}; wormwatch from ${runtime}; tmp ${tmp}`);

  let runs: RunRecord[] = [];
  let list: Scenario[] = [];
  const detections: Record<string, number | null> = {};
  let proxyFlood = null;
  if (!WRK_BIN) {
    skipped.push('throughput: wrk not found (apt-get install wrk); only the matcher and memory parts ran');
  } else {
    const targets = await startTargets(settings, tmp, skipped);
    list = scenarios(settings, tmp, targets);
    runs = await throughput(settings, list, targets);
    for (const [name, t] of targets) if (t.adminPort) detections[name] = await detectionsOf(t);
    const origin = targets.get('origin')!;
    for (const t of targets.values()) if (t.child && t !== origin) await stopChild(t.child);
    if (settings.proxyFloodS > 0 && settings.only === null) {
      log(`memory: distinct X-Forwarded-For through the proxy for ${settings.proxyFloodS} s`);
      proxyFlood = await runProxyFlood(settings, tmp, origin.port);
    }
    if (origin.child) await stopChild(origin.child);
  }
  // `--only` measures those throughput targets alone: no matcher or memory part.
  let matcher = null;
  let pipelineFlood = null;
  if (settings.only === null) {
    log('matcher micro-benchmark');
    matcher = await runMatcher(settings);
    log(`memory: ${settings.floodAddresses.toLocaleString('en-US')} distinct addresses into the detection pipeline`);
    pipelineFlood = await runPipelineFlood(settings, tmp);
  }

  const summaries = summariseTargets(runs);
  const ratios = ratiosFor(runs, list);
  const result = rounded({
    wormwatch: VERSION, date: new Date().toISOString(), elapsedS: (Date.now() - started) / 1000, loadAverageAtEnd: loadavg()[0],
    machine, settings, wormwatchRuntime: runtime, build: buildStatus, skipped,
    sanity: { wormRequestsDetectedByEngine: wormSanity(), detectionsCounted: detections },
    scenarios: list.map(({ name, path, targets }) => ({ name, path, targets })),
    targets: summaries, ratios, matcher, memory: { pipeline: pipelineFlood, proxy: proxyFlood }, runs,
  });
  const out = resolve(ROOT, settings.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);

  const lines = [
    `wormwatch ${VERSION} bench, ${machine.cpuModel} (${machine.cores} cores, ${machine.memoryGiB} GiB), Node ${machine.node}, wrk ${machine.wrk}, nginx ${machine.nginx}`,
    `${settings.rounds} round(s) x ${settings.durationS} s per target, ${settings.connections} connections, ${settings.threads} wrk thread(s)${settings.quick ? ' (--quick)' : ''}; load average ${machine.loadAverageAtStart.toFixed(1)} at start, ${(loadavg()[0] ?? 0).toFixed(1)} at end`,
    '', targetTable(summaries), '', ratioTable(ratios),
    ...(matcher ? ['', matcherSummary(matcher)] : []),
    ...(matcher && pipelineFlood ? ['', matcherTable(matcher), '', memoryTable(pipelineFlood, proxyFlood)] : []),
    ...skipped.map((s) => `skipped: ${s}`), '', `written: ${out}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  rmSync(tmp, { recursive: true, force: true });
}

main().then(
  async () => { await stopAll(); process.exit(0); },
  async (err: unknown) => {
    if (err instanceof UsageError) { log(`${err.message} (see npm run bench -- --help)`); process.exit(2); }
    log(`failed: ${(err as Error).stack ?? String(err)}`);
    await stopAll();
    process.exit(1);
  },
);
