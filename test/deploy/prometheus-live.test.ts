import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { wormRequests } from './examples.js';
import { ROOT, SHIPPED_ALERTS, freePort, httpRequest, run, startChild, startOrigin, tempDir, waitFor, type Child } from './support.js';
import { startWormwatchForMetrics, type RunningWormwatch } from './wormwatch-metrics.js';


interface QueryResult { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } }
interface RangeResult { data: { result: { metric: Record<string, string>; values: [number, string][] }[] } }

describe('a real Prometheus scraping wormwatch', function () {
  this.timeout(60_000);
  const tmp = tempDir('prometheus');
  let origin: Awaited<ReturnType<typeof startOrigin>>;
  let ww: RunningWormwatch;
  let prom: Child;
  let promUrl: string;

  before(async () => {
    origin = await startOrigin();
    ww = await startWormwatchForMetrics({ upstream: `http://127.0.0.1:${origin.port}` });
    const promPort = await freePort();
    promUrl = `http://127.0.0.1:${promPort}`;
    const config = {
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [join(ROOT, 'deploy', 'prometheus', 'alerts.yml')],
      scrape_configs: [{ job_name: 'wormwatch', static_configs: [{ targets: [new URL(ww.metricsUrl).host] }] }],
    };
    writeFileSync(join(tmp.path, 'prometheus.yml'), YAML.stringify(config));
    prom = startChild('prometheus', [
      `--config.file=${join(tmp.path, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(tmp.path, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      '--log.level=warn',
    ]);
    await waitFor('Prometheus ready', async () => {
      if (prom.proc.exitCode !== null) throw new Error(`prometheus exited: ${prom.output()}`);
      const r = await fetch(`${promUrl}/-/ready`).catch(() => null);
      return r?.ok ? true : undefined;
    }, 20_000);
  });

  after(async () => {
    await prom?.stop();
    await ww?.stop();
    await origin?.close();
    tmp.remove();
  });

  async function query<T = QueryResult>(q: string): Promise<T> {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
    assert.equal(res.status, 200);
    return (await res.json()) as T;
  }

  it('reads wormwatch_detections_total back through the query API after worm traffic', async () => {
    const worms = wormRequests('request', 3);
    for (const w of worms) {
      for (let i = 0; i < 2; i++) assert.equal((await httpRequest(Number(new URL(ww.proxyUrl).port), w.target, { method: w.method })).status, 200);
    }
    for (const w of worms) {
      const q = `sum(wormwatch_detections_total{job="wormwatch", signature="${w.signature}", family="${w.family}", stage="request"})`;
      const value = await waitFor(`${q} = 2 in Prometheus`, async () => {
        const v = (await query(q)).data.result[0]?.value[1];
        return v === '2' ? v : undefined;
      }, 20_000);
      assert.equal(value, '2');
    }
    const up = await query('up{job="wormwatch"}');
    assert.equal(up.data.result[0]?.value[1], '1');
  });

  it('loads the shipped alert rules', async () => {
    const res = (await (await fetch(`${promUrl}/api/v1/rules?type=alert`)).json()) as { data: { groups: { rules: { name: string; health: string }[] }[] } };
    const rules = res.data.groups.flatMap((g) => g.rules);
    assert.deepEqual(rules.map((r) => r.name).sort(), SHIPPED_ALERTS);
    // Rules get evaluated once a second; none may fail against real wormwatch series.
    await waitFor('the rules evaluated', async () => {
      const again = (await (await fetch(`${promUrl}/api/v1/rules?type=alert`)).json()) as typeof res;
      const all = again.data.groups.flatMap((g) => g.rules);
      return all.every((r) => r.health === 'ok') ? true : undefined;
    }, 10_000);
  });

  it('fires WormwatchSecretExposed on the first exposure of a signature, whose series first appears at 1', async () => {
    // The origin answers 200 with plain text: served credentials (not a catch-all HTML page).
    const res = await httpRequest(Number(new URL(ww.proxyUrl).port), '/.aws/credentials');
    assert.equal(res.status, 200);
    const firing = await waitFor('WormwatchSecretExposed firing', async () => {
      const r = (await query('ALERTS{alertname="WormwatchSecretExposed", alertstate="firing"}')).data.result;
      return r.length > 0 ? r : undefined;
    }, 20_000);
    assert.deepEqual(firing.map((a) => [a.metric.signature, a.metric.severity]), [['probe-cloud-credentials', 'critical']]);
    // increase() alone cannot see it: the series has never held anything but 1.
    const series = (await query<RangeResult>('wormwatch_exposures_total[1h]')).data.result;
    assert.deepEqual([...new Set(series.flatMap((s) => s.values.map((v) => v[1])))], ['1']);
  });

  it('exports /metrics that promtool check metrics accepts', async () => {
    const text = await (await fetch(ww.metricsUrl)).text();
    const r = await run('promtool', ['check', 'metrics'], { input: text });
    assert.match(text, /^wormwatch_detections_total\{/m);
    const problems = (r.stdout + r.stderr).split('\n').filter((l) => l.trim().length > 0);
    assert.deepEqual(problems, [], `promtool check metrics: ${problems.join('; ')}`);
    assert.equal(r.code, 0, `promtool exited ${r.code}`);
  });
});
