import assert from 'node:assert/strict';
import { FOLDED, LogLimit } from '../../src/runtime/log-limit.js';
import { createHub } from '../../src/runtime/hub.js';
import { loadOptions } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { defaultEngine } from '../../src/rules/index.js';
import { detectionOf } from '../../src/detect/detection.js';

describe('the per-offender limit on detection log lines', () => {
  describe('LogLimit', () => {
    it('writes the first lines of an offender, then one in every N carrying the count folded since', () => {
      const limit = new LogLimit({ burst: 3, every: 5, windowMs: 1000 });
      const seen = Array.from({ length: 14 }, () => limit.admit('198.51.100.7', 10));
      assert.deepEqual(seen, [0, 0, 0, FOLDED, FOLDED, FOLDED, FOLDED, 4, FOLDED, FOLDED, FOLDED, FOLDED, 4, FOLDED]);
    });

    it('always writes the first line of every offender, whatever another offender sent', () => {
      const limit = new LogLimit({ burst: 1, every: 1000 });
      for (let i = 0; i < 500; i++) limit.admit('203.0.113.1', i);
      assert.equal(limit.admit('203.0.113.1', 600), FOLDED);
      assert.equal(limit.admit('203.0.113.2', 601), 0, 'a new offender is written');
      assert.equal(limit.admit('2001:db8::1', 602), 0);
    });

    it('starts a new window after windowMs, whose first line says how many were folded before it', () => {
      const limit = new LogLimit({ burst: 1, every: 1000, windowMs: 1000 });
      assert.equal(limit.admit('a', 0), 0);
      for (let t = 1; t <= 7; t++) assert.equal(limit.admit('a', t * 100), FOLDED);
      assert.equal(limit.admit('a', 1000), 7, 'the next window: written, with the 7 folded');
      assert.equal(limit.admit('a', 1001), FOLDED);
      assert.equal(limit.admit('a', 500), 1, 'a clock that went back starts a window too');
    });

    it('tracks at most maxKeys offenders, forgetting the oldest (whose next line is written as a first)', () => {
      const limit = new LogLimit({ burst: 1, maxKeys: 100 });
      for (let i = 0; i < 10_000; i++) limit.admit(`10.0.${i >> 8}.${i & 255}`, i);
      assert.equal(limit.size, 100);
      assert.equal(limit.admit('10.0.0.0', 20_000), 0, 'forgotten, so written again');
      assert.equal(limit.admit('10.0.39.15', 20_001), FOLDED, 'the newest is still tracked');
    });
  });

  describe('in the hub', () => {
    it('logs the first lines of a flooding offender, folds the rest into wormwatch_log_lines_suppressed_total, and logs every new offender', async () => {
      const options = loadOptions({ env: {}, flags: { notify: 'off', logLevel: 'info', geoip: false } });
      const lines: Array<Record<string, unknown>> = [];
      const logger = createLogger('info', { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
      const engine = defaultEngine();
      const hub = await createHub(options, { logger, engine, extensions: [] });
      const n = engine.normalise({ method: 'GET', target: `/default.ida?${'N'.repeat(224)}%u9090%u6858=a`, headers: {} });
      const at = new Date('2026-12-01T12:00:00Z');
      for (let i = 0; i < 2500; i++) hub.onDetection(detectionOf(engine, n, 'request', '198.51.100.9', at, 'forwarded')!);
      hub.onDetection(detectionOf(engine, n, 'request', '198.51.100.10', at, 'forwarded')!);
      const detections = lines.filter((l) => l.event === 'detection');
      const first = detections.filter((l) => l.ip === '198.51.100.9');
      // 10 in the burst, then the 1,010th and 2,010th lines, each carrying the 999 folded before it.
      assert.equal(first.length, 12);
      assert.deepEqual(first.slice(10).map((l) => l.suppressed), [999, 999]);
      assert.equal(first[0]!.suppressed, undefined, 'the first line is an ordinary one');
      assert.deepEqual(detections.filter((l) => l.ip === '198.51.100.10').length, 1, 'the first line of another offender is always written');
      const suppressed = (await hub.metrics.registry.getSingleMetric('wormwatch_log_lines_suppressed_total')!.get()).values[0]?.value;
      assert.equal(suppressed, 2500 - 12);
      const counted = (await hub.metrics.registry.getSingleMetric('wormwatch_detections_total')!.get()).values.find((v) => v.labels.signature === 'codered-ii' || v.labels.signature === 'codered-i');
      assert.equal(counted?.value, 2501, 'every detection is still counted');
      assert.equal(hub.offenders.get('198.51.100.9')?.hits, 2500, 'and recorded');
    });
  });
});
