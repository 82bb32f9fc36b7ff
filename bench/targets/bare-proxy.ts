/**
 * The floor: http-proxy-3 with the same keep-alive agent as wormwatch and no inspection at all.
 * Usage: bare-proxy.ts <upstream-port> <max-sockets>. Prints `LISTENING <port>`.
 */
import { Agent, createServer } from 'node:http';
import { createProxyServer } from 'http-proxy-3';
import { serveAsBenchChild } from './child-server.js';

const upstreamPort = Number(process.argv[2]);
const maxSockets = Number(process.argv[3] ?? 256);
if (!Number.isInteger(upstreamPort) || upstreamPort <= 0) throw new Error('usage: bare-proxy.ts <upstream-port> [max-sockets]');

// The agent options of src/proxy/forward.ts; xfwd because wormwatch adds X-Forwarded-* too.
const agent = new Agent({ keepAlive: true, maxSockets, scheduling: 'lifo' });
const proxy = createProxyServer({ target: `http://127.0.0.1:${upstreamPort}`, agent, xfwd: true });
proxy.on('error', (_err, _req, res) => {
  if ('writeHead' in res && !res.headersSent) res.writeHead(502);
  res.end();
});

const server = createServer((req, res) => proxy.web(req, res));
server.keepAliveTimeout = 60_000;
serveAsBenchChild(server);
