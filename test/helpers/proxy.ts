/**
 * Starts the real proxy (`createProxy`) on 127.0.0.1 with a free port, options built by
 * `loadOptions({ flags })` exactly as the CLI would, the real detection engine, a private metrics
 * registry and a silent logger. Detections and 404 notifications are collected in arrays.
 *
 *   const origin = await startOrigin();
 *   const proxy = await startProxy({ upstream: origin.url, mode: 'block' });
 *   ... requests to proxy.url ...; expect(proxy.detections) ...
 *   await proxy.close(); await origin.close();
 */
import type { AddressInfo } from 'node:net';
import { createMetrics, type Metrics } from '../../src/metrics.js';
import { loadOptions } from '../../src/config/load.js';
import type { Options } from '../../src/config/options.js';
import { defaultEngine } from '../../src/rules/index.js';
import type { Engine, NormalisedRequest } from '../../src/detect/types.js';
import type { DetectionEvent } from '../../src/detect/detection.js';
import { createLogger } from '../../src/log.js';
import { createProxy, type ProxyHandle } from '../../src/proxy/index.js';

export interface TestProxy {
  handle: ProxyHandle;
  options: Options;
  port: number;
  /** `http://127.0.0.1:PORT` */
  url: string;
  metrics: Metrics;
  detections: DetectionEvent[];
  notFound: Array<{ ip: string; req: NormalisedRequest; at: Date }>;
  /** Current value of a counter/gauge sample, e.g. `metric('wormwatch_requests_total', { outcome: 'blocked' })`. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  close(graceMs?: number): Promise<void>;
}

export interface StartProxyExtras {
  /** An engine, or a getter (to test a rules reload swapping it). Default: `defaultEngine()`. */
  engine?: Engine | (() => Engine);
  /** Also called for each detection, after it is collected (e.g. a listener that throws). */
  onDetection?: (e: DetectionEvent) => void;
}

/** `flags` are option values as given on the command line, keyed by option name (`upstream`, `mode`, ...). */
export async function startProxy(flags: Partial<Record<keyof Options, unknown>>, extras: StartProxyExtras = {}): Promise<TestProxy> {
  const options = loadOptions({ flags: { listen: '127.0.0.1:0', logLevel: 'silent', ...flags } });
  const metrics = createMetrics('test');
  const given = extras.engine ?? defaultEngine();
  const engine = typeof given === 'function' ? given : () => given;
  const detections: DetectionEvent[] = [];
  const notFound: TestProxy['notFound'] = [];
  const handle = createProxy({
    options,
    engine,
    metrics: metrics.proxy,
    logger: createLogger('silent'),
    onDetection: (e) => {
      detections.push(e);
      extras.onDetection?.(e);
    },
    onNotFound: (ip, req, at) => notFound.push({ ip, req, at }),
  });
  const address: AddressInfo = await handle.listen();
  return {
    handle,
    options,
    port: address.port,
    url: `http://127.0.0.1:${address.port}`,
    metrics,
    detections,
    notFound,
    async metric(name, labels = {}) {
      const found = (await metrics.registry.getSingleMetric(name)?.get())?.values.find((v) =>
        Object.entries(labels).every(([k, val]) => String((v.labels as Record<string, unknown>)[k]) === val),
      );
      return found?.value ?? 0;
    },
    close: (graceMs = 0) => handle.close(graceMs),
  };
}
