/**
 * The processes under test, each its own process with its own event loop: the origin, the bare
 * http-proxy-3 floor, nginx (bare, and with wormwatch's njs module and map) and wormwatch (from
 * the built dist/ when present).
 */
import { existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { freePort, spawnTracked, waitForHttp, waitForLine } from './children.js';
import type { Signature } from '../../src/detect/types.js';
import { NGINX_TARGETS, startNginx, type NginxVariant } from './nginx.js';

export const ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');

export interface Target {
  /** Short name used in the table and JSON (`wormwatch`, `bare`, `nginx`, `origin`). */
  name: string;
  port: number;
  /** The admin port, for wormwatch (metrics after the run). */
  adminPort?: number;
  child?: ChildProcess;
}

const TSX = ['--import', 'tsx'];

async function startNodeScript(name: string, script: string, args: string[]): Promise<Target> {
  const child = spawnTracked(process.execPath, [...TSX, join(ROOT, script), ...args], { cwd: ROOT });
  child.stderr?.on('data', (d: Buffer) => process.stderr.write(`[${name}] ${d.toString()}`));
  const m = await waitForLine(child, /LISTENING (\d+)/, 20_000);
  return { name, port: Number(m[1]), child };
}

export function startOrigin(): Promise<Target> {
  return startNodeScript('origin', 'bench/targets/origin.ts', []);
}

export function startBareProxy(originPort: number, maxSockets: number): Promise<Target> {
  return startNodeScript('bare', 'bench/targets/bare-proxy.ts', [String(originPort), String(maxSockets)]);
}

/** nginx in one of its variants (`bench/lib/nginx.ts`), named as in NGINX_TARGETS, its prefix under tmp. */
export async function startNginxTarget(tmp: string, originPort: number, variant: NginxVariant = 'bare', signatures: readonly Signature[] = []): Promise<Target> {
  const port = await freePort();
  const name = NGINX_TARGETS[variant];
  const child = await startNginx(join(tmp, name), port, originPort, variant, signatures);
  return { name, port, child };
}

/** How wormwatch is run: the compiled CLI when built, else the TypeScript source through tsx. */
export function wormwatchEntry(): { args: string[]; runtime: 'dist' | 'tsx' } {
  const dist = join(ROOT, 'dist/cli/main.js');
  if (existsSync(dist)) return { args: [dist], runtime: 'dist' };
  return { args: [...TSX, join(ROOT, 'src/cli/main.ts')], runtime: 'tsx' };
}

export interface WormwatchLaunch {
  name: string;
  originPort: number;
  mode: 'monitor' | 'block';
  tmp: string;
  /** Extra `serve` flags (`--trust-proxy 127.0.0.1/32`, `--workers 2`). */
  extra?: string[];
}

/** Starts `wormwatch serve` with the full catalogue and notices kept in an outbox under tmp. */
export async function startWormwatch(launch: WormwatchLaunch): Promise<Target> {
  const port = await freePort();
  const adminPort = await freePort();
  const dataDir = join(launch.tmp, `${launch.name}-data`);
  const log = openSync(join(launch.tmp, `${launch.name}.log`), 'a');
  const args = [
    ...wormwatchEntry().args, 'serve',
    '--upstream', `http://127.0.0.1:${launch.originPort}`,
    '--listen', `127.0.0.1:${port}`,
    '--admin-listen', `127.0.0.1:${adminPort}`,
    '--mode', launch.mode,
    '--notify', 'outbox',
    '--data-dir', dataDir,
    // Never the system resolver: bench traffic stays on loopback even if a lookup were tried.
    '--dns-server', '127.0.0.1:9',
    // Nor the registries: the abuse tier's RDAP lookups fail at once on loopback.
    '--rdap-url', 'http://127.0.0.1:9/',
    ...(launch.extra ?? []),
  ];
  const child = spawnTracked(process.execPath, args, { cwd: launch.tmp, stdio: ['ignore', log, log] });
  let onExit: (code: number | null) => void = () => undefined;
  const exited = new Promise<never>((_, reject) => {
    onExit = (code) => reject(new Error(`${launch.name} exited (${code}) during start: ${logTail(join(launch.tmp, `${launch.name}.log`))}`));
    child.once('exit', onExit);
  });
  try {
    await Promise.race([waitForHttp(port, '/1k', 200, 30_000), exited]);
  } finally {
    child.off('exit', onExit);
  }
  return { name: launch.name, port, adminPort, child };
}

function logTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-3).join(' | ').slice(-600);
  } catch {
    return '(no log)';
  }
}
