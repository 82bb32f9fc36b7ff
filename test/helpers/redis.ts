/**
 * A real redis-server for tests: a free loopback port, a temporary directory, `--save ''
 * --appendonly yes`, stopped (and the directory removed) by `stop`. `kill9` and `restart` (same
 * port, same directory) let a test take it away mid-run and bring it back.
 *
 *   const redis = await startRedis();
 *   ... --redis-url redis.url ...
 *   await redis.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { requireTool } from './system.js';

export interface TestRedis {
  url: string;
  port: number;
  /** A plain client for the test's own reads (INFO, KEYS); closed by `stop`. */
  client: Redis;
  /** `kill -9` the server (the append-only file keeps what it had written). */
  kill9(): Promise<void>;
  /** Starts it again on the same port and directory; resolves once it answers PING. */
  restart(): Promise<void>;
  /** A field of `INFO section` as a number (`used_memory`), or NaN. */
  info(section: string, field: string): Promise<number>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setTimeout(500);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

async function answering(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!(await ping(port))) {
    if (child.exitCode !== null || Date.now() > end) throw new Error(`redis-server did not start on ${port}: ${log()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function startRedis(extraArgs: string[] = []): Promise<TestRedis> {
  const bin = requireTool('redis-server');
  const dir = mkdtempSync(join(tmpdir(), 'wormwatch-redis-'));
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--protected-mode', 'yes', ...extraArgs];
  let child: ChildProcess;
  let output = '';
  const launch = async (): Promise<void> => {
    output = '';
    child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-4000)));
    child.stderr!.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-4000)));
    await answering(port, child, () => output);
  };
  const exited = (): Promise<void> => (child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r())));
  await launch();
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  await client.connect();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    client,
    async kill9() {
      child.kill('SIGKILL');
      await exited();
    },
    restart: launch,
    async info(section, field) {
      const text = await client.info(section);
      const line = text.split('\r\n').find((l) => l.startsWith(`${field}:`));
      return line === undefined ? NaN : Number(line.slice(field.length + 1));
    },
    async stop() {
      client.disconnect();
      child.kill('SIGKILL');
      await exited();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
