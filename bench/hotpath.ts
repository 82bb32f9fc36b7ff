/**
 * Forwarding-path side-by-side: wormwatch (1 worker, and `--workers N`) against a bare
 * http-proxy-3 with the same keep-alive agent, all on loopback, driven by wrk in interleaved
 * rounds (A B C, B C A, ...) so that the noise of a shared machine hits every target alike.
 * Prints the median (min–max) of each ratio over the rounds; absolute figures drift, ratios less.
 *
 *   node --import tsx bench/hotpath.ts [--rounds 7] [--duration 10] [--connections 32] [--workers 2]
 *                                      [--path /1k] [--profile dir]
 *
 * `--before DIR` adds the wormwatch of another checkout (e.g. an earlier src/proxy/) as a target.
 * `--profile dir` runs the single-worker wormwatch under `--cpu-prof` (written on exit into dir).
 * The bench owner's `npm run bench` is the full harness; this is the proxy owner's quick driver.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    workers: { type: 'string', default: '2' },
    path: { type: 'string', default: '/1k' },
    profile: { type: 'string' },
    only: { type: 'string' },
    before: { type: 'string' },
  },
});
const rounds = Number(args.rounds);
const duration = Number(args.duration);
const connections = Number(args.connections);
const workers = Number(args.workers);

interface Target { name: string; port: number; child: ChildProcess }
interface Run { rps: number; p99ms: number; cpuUsPerReq: number }

const children: ChildProcess[] = [];
const dataDir = mkdtempSync(join(tmpdir(), 'wormwatch-hotpath-'));
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

function start(name: string, argv: string[], pattern: RegExp): Promise<Target> {
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (d: Buffer): void => {
      seen += d.toString();
      const m = pattern.exec(seen);
      if (m) {
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve({ name, port: Number(m[1]), child });
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${name} exited ${code} before listening: ${seen.slice(-500)}`)));
  });
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function wormwatch(name: string, originPort: number, extra: string[], nodeFlags: string[] = [], cwd = process.cwd()): Promise<Target> {
  const port = await freePort();
  const admin = await freePort();
  const argv = [...nodeFlags, '--import', 'tsx', 'src/cli/main.ts', 'serve', '--upstream', `http://127.0.0.1:${originPort}`,
    '--listen', `127.0.0.1:${port}`, '--admin-listen', `127.0.0.1:${admin}`, '--data-dir', join(dataDir, name),
    '--log-level', 'warn', ...extra];
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'ignore', 'inherit'], cwd });
  children.push(child);
  await waitUp(port);
  return { name, port, child };
}

async function waitUp(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/1k`);
      await r.arrayBuffer();
      if (r.ok) return;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing answers on ${port}`);
}

/**
 * CPU time (user + system, in clock ticks of 10 ms) of a process and its children (cluster
 * workers). CPU per request is steadier than req/s on a shared machine: another job's load
 * slows a target down, but hardly changes what each request costs it.
 */
function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const own = Number(fields[11]) + Number(fields[12]);
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return own + kids.reduce((sum, kid) => sum + cpuTicks(kid), 0);
  } catch {
    return 0;
  }
}

function wrk(port: number, pid: number): Promise<Run> {
  const ticks0 = cpuTicks(pid);
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', ['-t1', `-c${connections}`, `-d${duration}s`, '--latency', `http://127.0.0.1:${port}${args.path}`]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('exit', (code) => {
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
      const p99 = /\s99%\s+([\d.]+)(us|ms|s)/.exec(out);
      const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(out);
      if (code !== 0 || !rps || !p99) return reject(new Error(`wrk failed: ${out}`));
      if (errors) process.stderr.write(`  warning (port ${port}): ${errors[0]}\n`);
      const scale = p99[2] === 'us' ? 0.001 : p99[2] === 's' ? 1000 : 1;
      const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 1);
      resolve({ rps: Number(rps[1]), p99ms: Number(p99[1]) * scale, cpuUsPerReq: ((cpuTicks(pid) - ticks0) * 10_000) / requests });
    });
    child.on('error', reject);
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmt = (xs: number[]): string => `${median(xs).toFixed(3)} (${Math.min(...xs).toFixed(3)}–${Math.max(...xs).toFixed(3)})`;

const origin = await start('origin', ['--import', 'tsx', 'bench/targets/origin.ts'], /LISTENING (\d+)/);
const targets: Target[] = [await start('bare', ['--import', 'tsx', 'bench/targets/bare-proxy.ts', String(origin.port), '256'], /LISTENING (\d+)/)];
const profileFlags = args.profile ? ['--cpu-prof', '--cpu-prof-interval', '200', '--cpu-prof-dir', args.profile] : [];
targets.push(await wormwatch('wormwatch', origin.port, [], profileFlags));
// `--before DIR`: another checkout (say, the previous src/proxy/) as one more target.
if (args.before) targets.push(await wormwatch('before', origin.port, [], [], args.before));
if (workers > 1) targets.push(await wormwatch(`wormwatch-w${workers}`, origin.port, ['--workers', String(workers)]));
const chosen = args.only ? targets.filter((t) => t.name === 'bare' || args.only!.split(',').includes(t.name)) : targets;

// Warm-up: JIT and pooled sockets, not measured.
for (const t of chosen) await wrkShort(t.port);
async function wrkShort(port: number): Promise<void> {
  await new Promise<void>((resolve) => spawn('wrk', ['-t1', `-c${connections}`, '-d2s', `http://127.0.0.1:${port}${args.path}`]).on('exit', () => resolve()));
}

const results = new Map<string, Run[]>(chosen.map((t) => [t.name, []]));
for (let r = 0; r < rounds; r++) {
  const order = chosen.map((_, i) => chosen[(i + r) % chosen.length]!);
  for (const t of order) {
    const run = await wrk(t.port, t.child.pid!);
    results.get(t.name)!.push(run);
    process.stderr.write(`round ${r + 1} ${t.name}: ${run.rps.toFixed(0)} req/s, p99 ${run.p99ms.toFixed(2)} ms, ${run.cpuUsPerReq.toFixed(0)} CPU-µs/req\n`);
  }
}

const bare = results.get('bare')!;
console.log(`\n${rounds} rounds × ${duration}s, wrk -t1 -c${connections} ${args.path}; ratio = target / bare in the same round; median (min–max)`);
for (const t of chosen) {
  if (t.name === 'bare') continue;
  const runs = results.get(t.name)!;
  const rps = runs.map((x, i) => x.rps / bare[i]!.rps);
  const p99 = runs.map((x, i) => x.p99ms / bare[i]!.p99ms);
  const cpu = runs.map((x, i) => x.cpuUsPerReq / bare[i]!.cpuUsPerReq);
  console.log(`${t.name.padEnd(14)} throughput ${fmt(rps)}   p99 ${fmt(p99)}   CPU/request ${fmt(cpu)}`);
}
console.log(`(medians, req/s: ${chosen.map((t) => `${t.name} ${median(results.get(t.name)!.map((x) => x.rps)).toFixed(0)}`).join(', ')})`);

for (const t of [...targets, origin]) {
  t.child.kill('SIGTERM');
  await new Promise((r) => t.child.once('exit', r));
}
process.exit(0);
