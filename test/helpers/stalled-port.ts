/**
 * A loopback port where TCP connects hang (for connect time-out tests, without leaving
 * 127.0.0.0/8): a child process listens with a backlog of 1 and never accepts, and the accept
 * queue is filled, so the kernel drops further SYNs and the connecting side just waits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';

const CHILD = `
const net = require('node:net');
const server = net.createServer();
server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
  process.stdout.write(String(server.address().port) + '\\n');
  // Block the event loop so the listening socket is never accepted from.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60000);
});
`;

export interface StalledPort {
  port: number;
  close(): Promise<void>;
}

export async function startStalledPort(): Promise<StalledPort> {
  const child: ChildProcess = spawn(process.execPath, ['-e', CHILD], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
    child.once('error', reject);
  });
  // Fill the accept queue; these may themselves hang, which is the point.
  const fillers = Array.from({ length: 4 }, () => net.connect(port, '127.0.0.1').on('error', () => {}));
  // The queue (backlog + 1) holds the first two; the others are the first to hang.
  await Promise.all(fillers.slice(0, 2).map((f) => new Promise((r) => f.once('connect', r))));
  return {
    port,
    async close() {
      for (const f of fillers) f.destroy();
      child.kill('SIGKILL');
      if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
    },
  };
}
