import assert from 'node:assert/strict';
import { renderChart } from '../../src/admin/chart.js';
import { escapeHtml } from '../../src/admin/html.js';
import { TIMELINE_FAMILIES_MAX, TIMELINE_MINUTES, Timeline } from '../../src/admin/timeline.js';

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);
const MIN = 60_000;

describe('admin/timeline and chart: the last hour, per minute', () => {
  it('counts detections by family and requests from samples of the running total, minute by minute', () => {
    const t = new Timeline();
    t.sampleRequests(100, T0);
    t.sampleRequests(130, T0 + 10_000);
    t.sampleRequests(150, T0 + MIN + 5_000);
    t.detection('codered', T0 + 1_000);
    t.detection('codered', T0 + 2_000);
    t.detection('hunt', T0 + MIN);
    const view = t.view(T0 + MIN + 30_000);
    assert.equal(view.length, TIMELINE_MINUTES);
    const [prev, last] = view.slice(-2);
    assert.deepEqual([prev!.requests, prev!.detections], [30, { codered: 2 }]);
    assert.deepEqual([last!.requests, last!.detections], [20, { hunt: 1 }]);
    assert.equal(view[0]!.at.getTime(), T0 + MIN - (TIMELINE_MINUTES - 1) * MIN);
  });

  it('forgets what is older than the hour, restarts sampling when a total falls, and bounds the families', () => {
    const t = new Timeline();
    t.detection('codered', T0);
    assert.deepEqual(t.view(T0 + TIMELINE_MINUTES * MIN).flatMap((p) => Object.keys(p.detections)), [], 'an hour later it is gone');
    t.sampleRequests(500, T0);
    t.sampleRequests(10, T0 + 1_000);
    t.sampleRequests(15, T0 + 2_000);
    assert.equal(t.view(T0 + 3_000).at(-1)!.requests, 5, 'a worker replaced: its counts gone, not a negative minute');
    for (let i = 0; i < TIMELINE_FAMILIES_MAX + 5; i++) t.detection(`f${i}`, T0 + 4_000);
    const families = Object.keys(t.view(T0 + 5_000).at(-1)!.detections);
    assert.equal(families.length, TIMELINE_FAMILIES_MAX + 1);
    assert.ok(families.includes('other'));
  });

  it('draws a bar per family and minute, with the family escaped, and a legend', () => {
    const t = new Timeline();
    t.detection('codered', T0);
    t.detection('<b>x</b>', T0);
    const { svg, legend } = renderChart(t.view(T0 + 1_000));
    assert.equal((svg.match(/<rect class="detections"/g) ?? []).length, 2);
    assert.ok(svg.includes('data-family="&lt;b&gt;x&lt;/b&gt;"'));
    assert.doesNotMatch(svg, /<b>/);
    assert.deepEqual(legend.map((l) => [l.family, l.count]), [['<b>x</b>', 1], ['codered', 1]]);
    assert.equal(escapeHtml(`"'&<>`), '&quot;&#39;&amp;&lt;&gt;');
  });
});
