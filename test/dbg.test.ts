import { startOrigin } from './helpers/origin.js';
import { startProxy } from './helpers/proxy.js';
import { rawRequest } from './helpers/raw-http.js';
import type http from 'node:http';
it('dbg', async () => {
  const stuck: http.ServerResponse[] = [];
  const origin = await startOrigin({ routes: { '/hang': (_req, res) => void stuck.push(res) } });
  const proxy = await startProxy({ upstream: origin.url, upstreamMaxSockets: 2, connectTimeout: '300ms', responseTimeout: '20s' });
  const hung = [rawRequest(proxy.port, 'GET /hang HTTP/1.1\r\nHost: x\r\n\r\n', 3_000), rawRequest(proxy.port, 'GET /hang HTTP/1.1\r\nHost: x\r\n\r\n', 3_000)];
  await new Promise(r => setTimeout(r, 300));
  console.log('stuck', stuck.length);
  const w = rawRequest(proxy.port, 'GET /third HTTP/1.1\r\nHost: x\r\n\r\n', 2_000);
  await new Promise(r => setTimeout(r, 100));
  console.log('queued', await proxy.metric('wormwatch_upstream_queued_requests'), await proxy.metric('wormwatch_upstream_sockets', {state:'active'}));
  console.log(JSON.stringify(await w));
  for (const r of stuck) r.end('x');
  await Promise.all(hung);
  await proxy.close(); await origin.close();
});
