// Shared plumbing for the deployment tests: temporary folders, free loopback ports, child
// processes that are always stopped, and bounded polling. Not a test file itself.
import { requireTool, toolOf } from '../helpers/system.js';
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequestRaw } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GUARDED_NODE_ARGS } from '../helpers/no-network.js';

/** The repository root (two folders above this file). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `node --import tsx src/cli/main.ts`, the CLI as a user runs it, without a build step. */
export const CLI = [process.execPath, ...GUARDED_NODE_ARGS, join(ROOT, 'src', 'cli', 'main.ts')] as const;

/** The alerts deploy/prometheus/alerts.yml ships, sorted: a rule added or lost must be meant. */
export const SHIPPED_ALERTS = ['WormwatchBanFileDown', 'WormwatchNoticeBacklogGrowing', 'WormwatchNoticesFailing', 'WormwatchSecretExposed', 'WormwatchUpstreamErrors', 'WormwatchWormStorm'];

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `wormwatch-${prefix}-`));
  // nginx started as root reads site files as its worker user (nobody).
  chmodSync(path, 0o755);
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * Ports that were free a moment ago on 127.0.0.1, for programs (nginx, Prometheus) that need the
 * number in their configuration rather than accepting port 0. All are held open together before
 * being released, so one call never hands out the same port twice.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((resolveServer, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => resolveServer(srv));
  })));
  const ports = servers.map((srv) => (srv.address() as { port: number }).port);
  await Promise.all(servers.map((srv) => new Promise((r) => srv.close(r))));
  return ports;
}

export async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}

/** Polls `probe` until it returns a value other than undefined, or fails after `ms`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${ms} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface Child {
  proc: ChildProcess;
  /** Everything written to stdout and stderr so far (for failure messages). */
  output(): string;
  /** SIGTERM, then SIGKILL after 5 s; resolves when the process has gone. */
  stop(): Promise<void>;
}

/** Spawns a long-running program and keeps its output; `stop()` ends exactly that process. */
export function startChild(cmd: string, args: readonly string[], options: SpawnOptions = {}): Child {
  const tool = toolOf(cmd);
  if (tool) requireTool(tool, cmd);
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let out = '';
  const keep = (b: Buffer) => {
    out += b.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return {
    proc,
    output: () => out,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion (bounded by `timeoutMs`), feeding `input` on stdin. */
export function run(cmd: string, args: readonly string[], opts: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  const tool = toolOf(cmd);
  if (tool) requireTool(tool, cmd);
  return new Promise((resolveRun, reject) => {
    const proc = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    proc.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    proc.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    proc.once('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
    // A child that exits without reading its input (nginx -s reload) fails this write with EPIPE.
    proc.stdin.on('error', () => undefined);
    proc.stdin.end(opts.input ?? '');
  });
}

/** An environment with no WORMWATCH_* variables of the test runner's own. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('WORMWATCH_')) env[k] = v;
  return { ...env, ...extra };
}

/** A plain HTTP request from a chosen loopback address; resolves with status, headers and body. */
export function httpRequest(port: number, path: string, opts: { method?: string; localAddress?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; headers: import('node:http').IncomingHttpHeaders; body: string }> {
  return new Promise((resolveReq, reject) => {
    const req = httpRequestRaw({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', localAddress: opts.localAddress ?? '127.0.0.1', headers: opts.headers ?? {}, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolveReq({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** A node:http origin on a free loopback port that records what reached it. */
export async function startOrigin(status = 200, body = 'hello from the origin'): Promise<{ port: number; seen: { method: string; url: string; headers: import('node:http').IncomingHttpHeaders; body: string }[]; close(): Promise<void> }> {
  const seen: { method: string; url: string; headers: import('node:http').IncomingHttpHeaders; body: string }[] = [];
  const server = createHttpServer((req, res) => {
    let received = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (received += c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: received });
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    seen,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
