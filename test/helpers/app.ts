/**
 * The whole of `wormwatch serve` in-process (`startWormwatch`: hub, proxy, admin server, default
 * extensions) on loopback with free ports, options built by `loadOptions({ flags })` as the CLI
 * would, a fresh `--data-dir` unless one is given, notices off unless asked for, and the log
 * lines kept. Plus `send`, a plain HTTP request that returns status, headers and body.
 *
 *   const app = await startApp({ upstream: origin.url, mode: 'block', banTtl: '1s' });
 *   const r = await send(app.url, '/', { headers: { 'x-forwarded-for': '198.51.100.7' } });
 *   await app.stop();
 */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOptions } from '../../src/config/load.js';
import type { Options } from '../../src/config/options.js';
import { createLogger } from '../../src/log.js';
import { startWormwatch, type StartOptions, type Wormwatch } from '../../src/runtime/serve.js';
import { assertNoticesStayLocal } from './notice-guard.js';

export interface TestApp {
  app: Wormwatch;
  options: Options;
  /** `http://127.0.0.1:PORT` of the proxy. */
  url: string;
  /** `http://127.0.0.1:PORT` of the admin server. */
  admin: string;
  dataDir: string;
  /** Every log line, parsed. */
  logs: Array<Record<string, unknown>>;
  /** A sample's value (0 when absent), e.g. `metric('wormwatch_requests_total', { outcome: 'banned' })`. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** Stops it; the data directory is removed unless `keepData`. */
  stop(keepData?: boolean): Promise<void>;
}

export async function startApp(flags: Partial<Record<keyof Options, unknown>>, start: StartOptions = {}): Promise<TestApp> {
  const dataDir = typeof flags.dataDir === 'string' ? flags.dataDir : mkdtempSync(join(tmpdir(), 'wormwatch-app-'));
  const options = loadOptions({ env: {}, flags: { listen: '127.0.0.1:0', adminListen: '127.0.0.1:0', notify: 'off', logLevel: 'info', ...flags, dataDir } });
  assertNoticesStayLocal(options);
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger(options.logLevel, { write: (s: string) => void logs.push(JSON.parse(s) as Record<string, unknown>) });
  const app = await startWormwatch(options, { logger, ...start });
  return {
    app, options, dataDir, logs,
    url: `http://127.0.0.1:${app.proxyAddress.port}`,
    admin: `http://127.0.0.1:${app.adminAddress.port}`,
    async metric(name, labels = {}) {
      const found = (await app.metrics.registry.getSingleMetric(name)?.get())?.values.find((v) =>
        Object.entries(labels).every(([k, val]) => String((v.labels as Record<string, unknown>)[k]) === val));
      return found?.value ?? 0;
    },
    async stop(keepData = false) {
      await app.stop(0);
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Sent {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request on a fresh connection (no agent): `method` default GET, `body` sent as is. */
export function send(base: string, path: string, opts: { method?: string; headers?: Record<string, string>; body?: string; localAddress?: string } = {}): Promise<Sent> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path, method: opts.method ?? 'GET', headers: opts.headers, agent: false, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Polls `check` every 20 ms until it is true; fails after `ms`. */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 5_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
