/**
 * `node --import tsx bench/profile.ts [wormwatch|block|bare] [seconds] [plain|large|mix|flood|codered]`: runs one
 * target under `node --cpu-prof` while wrk drives it (plain /1k, large /100k, the 1% worm mix, the distinct
 * X-Forwarded-For flood, or a CodeRed flood from one client: every request a detection), then prints where
 * its CPU time went. wormwatch logs to a file in the tmp dir, as in `npm run bench`. The profile file is left in a tmp
 * dir (path printed) for Chrome DevTools or speedscope; nothing is written into the repository.
 */
import { mkdtempSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnTracked, stopAll, stopChild, waitForLine, freePort, waitForHttp } from './lib/children.js';
import { selfHotspots, hotspots } from './lib/cpuprofile.js';
import { ROOT, startOrigin, wormwatchEntry } from './lib/targets.js';
import { wormMix, wormRequests } from './lib/traffic.js';
import { runWrk } from './lib/wrk.js';
import { floodScript, reportScript, rotationScript } from './lib/wrk-scripts.js';

const which = ['bare', 'block'].includes(process.argv[2] ?? '') ? (process.argv[2] as 'bare' | 'block') : 'wormwatch';
const seconds = Number(process.argv[3] ?? 10);
const traffic = ['mix', 'flood', 'large', 'codered'].includes(process.argv[4] ?? '') ? (process.argv[4] as 'mix' | 'flood' | 'large' | 'codered') : 'plain';
const path = traffic === 'large' ? '/100k' : traffic === 'codered' ? wormRequests[0]!.path : '/1k';
const tmp = mkdtempSync(join(tmpdir(), 'wormwatch-profile-'));
const profDir = join(tmp, 'prof');

try {
  const origin = await startOrigin();
  let port: number;
  const prof = ['--cpu-prof', `--cpu-prof-dir=${profDir}`];
  let child;
  if (which === 'bare') {
    child = spawnTracked(process.execPath, [...prof, '--import', 'tsx', join(ROOT, 'bench/targets/bare-proxy.ts'), String(origin.port), '256'], { cwd: ROOT });
    port = Number((await waitForLine(child, /LISTENING (\d+)/, 20_000))[1]);
  } else {
    port = await freePort();
    const adminPort = await freePort();
    child = spawnTracked(process.execPath, [...prof, ...wormwatchEntry().args, 'serve', '--upstream', `http://127.0.0.1:${origin.port}`,
      '--listen', `127.0.0.1:${port}`, '--admin-listen', `127.0.0.1:${adminPort}`, '--notify', 'outbox', '--data-dir', join(tmp, 'data'),
      '--dns-server', '127.0.0.1:9', '--rdap-url', 'http://127.0.0.1:9/', '--mode', which === 'block' ? 'block' : 'monitor',
      ...(traffic === 'flood' ? ['--trust-proxy', '127.0.0.1/32'] : [])], { cwd: tmp, stdio: ['ignore', openSync(join(tmp, 'wormwatch.log'), 'a'), 'inherit'] });
    await waitForHttp(port, '/1k', 200, 30_000);
  }
  const script = join(tmp, 'script.lua');
  writeFileSync(script, traffic === 'mix' ? rotationScript(wormMix(100)) : traffic === 'flood' ? floodScript(wormRequests[0]!.path) : reportScript());
  await runWrk({ port, path, script, connections: 50, threads: 1, durationS: 2 }); // warm-up
  const r = await runWrk({ port, path, script, connections: 50, threads: 1, durationS: seconds });
  process.stdout.write(`${which} (${traffic}): ${Math.round(r.rps)} req/s, p99 ${r.p99Ms.toFixed(2)} ms\n`);
  await stopChild(child, 10_000);
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no profile written');
  const profile = JSON.parse(readFileSync(join(profDir, file), 'utf8'));
  const kept = join(profDir, file);
  const fmt = (h: { fn: string; selfPct: number; inclusivePct: number }): string => `${String(h.selfPct).padStart(5)}% self ${String(h.inclusivePct).padStart(5)}% incl  ${h.fn}`;
  process.stdout.write(`\nby self time:\n${selfHotspots(profile, 30).map(fmt).join('\n')}\n\nby inclusive time:\n${hotspots(profile, 40).map(fmt).join('\n')}\n\nprofile: ${kept}\n`);
} finally {
  await stopAll();
}
