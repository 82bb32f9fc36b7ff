import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Runs `server` as a benchmark child process: listens on a free loopback port and announces it
 * on stdout (`LISTENING <port>`, which the harness waits for), exits 0 on SIGTERM, and never
 * outlives the harness that started it.
 */
export function serveAsBenchChild(server: Server): void {
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`LISTENING ${(server.address() as AddressInfo).port}\n`);
  });
  process.on('SIGTERM', () => {
    server.close(() => process.exit(0));
    server.closeAllConnections(); // idle keep-alive sockets would hold close() open
  });
  // A killed parent re-parents us to init.
  const parent = process.ppid;
  setInterval(() => { if (process.ppid !== parent) process.exit(0); }, 1000).unref();
}
