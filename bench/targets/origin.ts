/**
 * The benchmark origin, run as its own process: `/100k…` answers 100 KiB, `/1k…` 1 KiB, anything
 * else 404 (as a real site does for the files worms hunt for). Prints `LISTENING <port>`.
 */
import { createServer } from 'node:http';
import { serveAsBenchChild } from './child-server.js';

const small = Buffer.alloc(1024, 'a');
const large = Buffer.alloc(100 * 1024, 'b');
const missing = Buffer.from('not found\n');

const server = createServer((req, res) => {
  const url = req.url ?? '/';
  const body = url.startsWith('/100k') ? large : url.startsWith('/1k') ? small : missing;
  res.writeHead(body === missing ? 404 : 200, { 'content-type': 'text/plain', 'content-length': body.length });
  res.end(body);
});
// Longer than any proxy's idle keep-alive, so the origin never closes a pooled socket mid-reuse.
server.keepAliveTimeout = 120_000;
serveAsBenchChild(server);
