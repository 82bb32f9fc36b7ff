// A real wormwatch (the same `startWormwatch` that `serve` runs, with its default extensions)
// for the tests that check dashboards and scrapes against what it actually exports.
import { startWormwatch, type Wormwatch } from '../../src/runtime/serve.js';
import { loadOptions } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { tempDir } from './support.js';

export interface RunningWormwatch {
  ww: Wormwatch;
  proxyUrl: string;
  metricsUrl: string;
  stop(): Promise<void>;
}

export async function startWormwatchForMetrics(flags: Record<string, unknown> = {}): Promise<RunningWormwatch> {
  const data = tempDir('metrics');
  const options = loadOptions({
    flags: { upstream: 'http://127.0.0.1:9', listen: '127.0.0.1:0', adminListen: '127.0.0.1:0', dataDir: data.path, logLevel: 'silent', ...flags },
    env: {},
  });
  const ww = await startWormwatch(options, { logger: createLogger('silent') });
  return {
    ww,
    proxyUrl: `http://127.0.0.1:${ww.proxyAddress.port}`,
    metricsUrl: `http://127.0.0.1:${ww.adminAddress.port}/metrics`,
    async stop() {
      await ww.stop(0);
      data.remove();
    },
  };
}

/**
 * Every series name a scrape can contain, from the `# TYPE` lines (so labelled metrics that have
 * not been incremented yet still count) plus the sample names; histograms and summaries add
 * their `_bucket`, `_sum` and `_count` series.
 */
export async function exportedMetricNames(metricsUrl: string): Promise<Set<string>> {
  const text = await (await fetch(metricsUrl)).text();
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) {
      const [, name, kind] = type as unknown as [string, string, string];
      names.add(name);
      if (kind === 'histogram' || kind === 'summary') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (sample) names.add(sample[1]!);
  }
  return names;
}
