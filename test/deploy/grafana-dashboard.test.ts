import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { ROOT, run, tempDir } from './support.js';
import { exportedMetricNames, startWormwatchForMetrics } from './wormwatch-metrics.js';

interface Target { expr: string; refId: string }
interface Threshold { color: string; value: number | null }
interface Panel {
  id: number; title: string; type: string; datasource: { uid: string }; gridPos: { x: number; y: number; w: number; h: number }; targets: Target[];
  fieldConfig?: { defaults: { noValue?: string; thresholds?: { mode: string; steps: Threshold[] } } };
  options?: { colorMode?: string };
}
interface Dashboard {
  uid: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown; datasource?: { uid: string } }[] };
}

const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy', 'grafana', 'wormwatch.json'), 'utf8')) as Dashboard;
const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => ({ panel: p.title, expr: t.expr })));

/** Grafana's own variables become what Prometheus would see after Grafana expands them. */
function expand(expr: string): string {
  return expr.replaceAll('$__rate_interval', '5m').replaceAll('$__range', '1h').replace(/\$(job|instance)\b/g, '.*');
}

describe('deploy/grafana dashboard', function () {
  // Each CLI run is a cold `node --import tsx` start: seconds on a busy CI machine.
  this.timeout(60_000);
  it('takes its data source from a ${datasource} variable in every panel and query variable', () => {
    const ds = dashboard.templating.list.find((v) => v.name === 'datasource');
    assert.equal(ds?.type, 'datasource');
    assert.equal(ds?.query, 'prometheus');
    for (const p of dashboard.panels) assert.equal(p.datasource.uid, '${datasource}', p.title);
    for (const v of dashboard.templating.list.filter((t) => t.type === 'query')) assert.equal(v.datasource?.uid, '${datasource}', v.name);
  });

  it('has the panels users asked for', () => {
    const titles = dashboard.panels.map((p) => p.title);
    for (const want of ['Request rate by outcome', 'Upstream latency', 'Detections by family', 'Detections by signature', 'Offenders', 'Notices by result', 'Notice queue depth by state',
      'Secrets exposed by signature', 'Bans in force', 'Banned requests', 'Bans imposed by reason', 'Redis health (fleet)']) {
      assert.ok(titles.includes(want), `missing panel ${want}`);
    }
    const latency = dashboard.panels.find((p) => p.title === 'Upstream latency')!;
    assert.deepEqual(latency.targets.map((t) => /histogram_quantile\((0\.\d+)/.exec(t.expr)?.[1]), ['0.5', '0.99']);
    assert.equal(new Set(dashboard.panels.map((p) => p.id)).size, dashboard.panels.length, 'panel ids are unique');
    // What Grafana's import needs: a uid, a schema version, and each panel placed with its queries.
    assert.equal(dashboard.uid, 'wormwatch');
    assert.ok(typeof dashboard.schemaVersion === 'number' && dashboard.schemaVersion >= 30);
    for (const p of dashboard.panels) {
      assert.ok(p.gridPos && p.gridPos.w > 0 && p.gridPos.h > 0, `${p.title} has no gridPos`);
      assert.ok(p.targets.length > 0 && new Set(p.targets.map((t) => t.refId)).size === p.targets.length, `${p.title} targets`);
    }
  });

  it('shows exposures by signature, green at 0 and red from the first one, and the bans beside the requests they refused', () => {
    const panel = (title: string) => dashboard.panels.find((p) => p.title === title)!;
    const exposed = panel('Secrets exposed by signature');
    assert.equal(exposed.type, 'stat');
    assert.match(exposed.targets[0]!.expr, /^sum by \(signature\) \(wormwatch_exposures_total\{/);
    assert.equal(exposed.fieldConfig?.defaults.noValue, '0', 'no exposure series yet reads 0, not "No data"');
    assert.equal(exposed.options?.colorMode, 'background');
    const colour = (value: number) => exposed.fieldConfig!.defaults.thresholds!.steps.filter((s) => s.value === null || value >= s.value).at(-1)?.color;
    assert.deepEqual([colour(0), colour(1), colour(14)], ['green', 'red', 'red']);
    assert.ok(exposed.gridPos.y <= 4, 'the exposures panel sits at the top, under the headline stats');
    assert.match(panel('Bans in force').targets[0]!.expr, /sum by \(kind\) \(wormwatch_bans\{/);
    assert.match(panel('Banned requests').targets[0]!.expr, /wormwatch_requests_total\{[^}]*outcome="banned"/);
    assert.match(panel('Bans imposed by reason').targets[0]!.expr, /sum by \(reason\) \(rate\(wormwatch_bans_total\{/);
  });

  it('lays the panels out on the 24-column grid without overlap', () => {
    const cells = new Map<string, string>();
    for (const p of dashboard.panels) {
      const { x, y, w, h } = p.gridPos;
      assert.ok(x >= 0 && x + w <= 24, `${p.title} is off the grid`);
      for (let i = x; i < x + w; i++) for (let j = y; j < y + h; j++) {
        const other = cells.get(`${i},${j}`);
        assert.equal(other, undefined, `${p.title} overlaps ${other}`);
        cells.set(`${i},${j}`, p.title);
      }
    }
  });

  it('uses only valid PromQL (promtool check rules on every panel query)', async () => {
    const tmp = tempDir('grafana');
    try {
      const rules = exprs.map((e, i) => ({ record: `wormwatch_dashboard:panel_${i}`, expr: expand(e.expr) }));
      const file = join(tmp.path, 'panels.yml');
      writeFileSync(file, YAML.stringify({ groups: [{ name: 'dashboard', rules }] }));
      const r = await run('promtool', ['check', 'rules', file]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`SUCCESS: ${rules.length} rules found`));
    } finally {
      tmp.remove();
    }
  });

  it('names only metrics that a running wormwatch exports', async () => {
    // In fleet mode (a Redis that is not there will do): it exports the Redis health metrics too.
    const ww = await startWormwatchForMetrics({ redisUrl: 'redis://127.0.0.1:9' });
    try {
      const exported = await exportedMetricNames(ww.metricsUrl);
      const queries = [...exprs.map((e) => e.expr), ...dashboard.templating.list.map((v) => JSON.stringify(v.query))];
      const used = new Set(queries.flatMap((q) => q.match(/\bwormwatch_[a-z0-9_]+\b/g) ?? []));
      assert.ok(used.size >= 8, `only ${used.size} metric names found in the dashboard`);
      const missing = [...used].filter((name) => !exported.has(name));
      assert.deepEqual(missing, [], `dashboard names metrics wormwatch does not export: ${missing.join(', ')}`);
    } finally {
      await ww.stop();
    }
  });
});
