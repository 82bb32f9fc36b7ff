import { startOrigin } from '/work/main/test/helpers/origin.ts';
import { startProxy } from '/work/main/test/helpers/proxy.ts';
import { WebSocket } from 'ws';
const origin = await startOrigin({ onUpgrade: (_req, socket) => { console.log('origin upgrade'); socket.resume().once('close', () => console.log('origin saw close')); } });
const proxy = await startProxy({ upstream: origin.url, responseTimeout: '300ms' });
const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/slow`);
ws.on('unexpected-response', (_req, res) => console.log('status', res.statusCode));
ws.on('error', (e) => console.log('ws err', e.message));
setTimeout(async () => { console.log(await proxy.metrics.registry.getSingleMetric('wormwatch_upstream_errors_total').get()); process.exit(0); }, 1500);
