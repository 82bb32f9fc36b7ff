/**
 * The real `wormwatch serve --mode block` as a child process (`node --import tsx
 * src/cli/main.ts serve ...`), its ports read from the JSON `wormwatch listening` log line, its
 * counters read from the admin `/metrics`, its open descriptors from /proc.
 */
import type { ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { parseExposition } from '../admin/prom-text.js';
import { cleanEnv, spawnCli } from '../cli/run-cli.js';

export interface ProxySettings {
  clientTimeoutMs: number;
  headersTimeoutMs: number;
  responseTimeoutMs: number;
  connectTimeoutMs: number;
}

export interface Counters {
  forwarded: number;
  /** Forwarded, then the client left (or timed out) before the origin answered. */
  aborted: number;
  blocked: number;
  error: number;
  /** All of wormwatch_upstream_errors_total, by code. */
  upstreamErrors: Record<string, number>;
}

export interface WormwatchChild {
  pid: number;
  proxyPort: number;
  adminPort: number;
  alive(): boolean;
  /** Resolves with the exit code or signal when the process ends. */
  exited: Promise<string>;
  /** Exit code or signal, once it has exited. */
  exitStatus(): string | undefined;
  /** The last 4 KiB of stderr and of non-JSON stdout (a crash's stack). */
  tail(): string;
  counters(): Promise<Counters>;
  /** Open file descriptors (Linux /proc), or undefined elsewhere. */
  fds(): number | undefined;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 20_000;
const KEEP_TAIL = 4096;

export async function startWormwatch(upstream: string, s: ProxySettings, dataDir: string): Promise<WormwatchChild> {
  const args = [
    'serve', '--upstream', upstream, '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--notify', 'off', '--mode', 'block',
    '--client-timeout', `${s.clientTimeoutMs}ms`, '--headers-timeout', `${s.headersTimeoutMs}ms`,
    '--response-timeout', `${s.responseTimeoutMs}ms`, '--connect-timeout', `${s.connectTimeoutMs}ms`, '--shutdown-grace', '0s',
  ];
  const child = spawnCli(args, cleanEnv({ WORMWATCH_DATA_DIR: dataDir }));
  // A harness that dies (an exception, mocha's --exit) must not leave wormwatch running.
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  let tail = '';
  const addTail = (text: string): void => {
    tail = (tail + text).slice(-KEEP_TAIL);
  };
  let exit: string | undefined;
  const exited = new Promise<string>((resolve) =>
    child.on('exit', (code, signal) => {
      exit = signal ?? `exit ${code}`;
      resolve(exit);
    }),
  );
  child.stderr!.setEncoding('utf8').on('data', addTail);
  const ports = await listeningPorts(child, addTail);
  return {
    pid: child.pid!,
    ...ports,
    alive: () => exit === undefined,
    exited,
    exitStatus: () => exit,
    tail: () => tail,
    counters: () => readCounters(ports.adminPort),
    fds() {
      try {
        return readdirSync(`/proc/${child.pid}/fd`).length;
      } catch {
        return undefined;
      }
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (exit !== undefined) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

/** Reads stdout for the listening line; every other line only feeds the tail (JSON logs are dropped). */
function listeningPorts(child: ChildProcess, addTail: (s: string) => void): Promise<{ proxyPort: number; adminPort: number }> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    let found = false;
    const timer = setTimeout(() => reject(new Error('wormwatch did not log "wormwatch listening" in time')), START_TIMEOUT_MS);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const text = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (!text.startsWith('{')) addTail(`${text}\n`);
        if (found || !text.includes('"wormwatch listening"')) continue;
        const line = JSON.parse(text) as { proxy: { port: number }; admin: { port: number } };
        found = true;
        clearTimeout(timer);
        resolve({ proxyPort: line.proxy.port, adminPort: line.admin.port });
      }
      // A line longer than this is no log line worth keeping whole.
      if (buffer.length > 1 << 20) buffer = '';
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!found) reject(new Error(`wormwatch exited (${code}) before listening`));
    });
  });
}

async function readCounters(adminPort: number): Promise<Counters> {
  const res = await fetch(`http://127.0.0.1:${adminPort}/metrics`);
  const { samples } = parseExposition(await res.text());
  const requests = (outcome: string): number =>
    samples.find((x) => x.name === 'wormwatch_requests_total' && x.labels.outcome === outcome)?.value ?? 0;
  const upstreamErrors: Record<string, number> = {};
  for (const x of samples) if (x.name === 'wormwatch_upstream_errors_total') upstreamErrors[x.labels.code ?? '?'] = x.value;
  return { forwarded: requests('forwarded'), aborted: requests('aborted'), blocked: requests('blocked'), error: requests('error'), upstreamErrors };
}
