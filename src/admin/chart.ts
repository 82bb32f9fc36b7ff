import { escapeHtml } from './html.js';
import type { MinutePoint } from './timeline.js';

const WIDTH = 720;
const HEIGHT = 160;
const PAD = 24;
/** Colours for families, in the order the families appear in the hour shown (fixed, colour-blind-safe Okabe-Ito set). */
const PALETTE = ['#e69f00', '#56b4e9', '#009e73', '#f0e442', '#0072b2', '#d55e00', '#cc79a7', '#000000'];

/**
 * Requests and detections per minute over the hour, as an inline SVG (no script, no external
 * file): stacked bars of detections by family, and the requests as a line on their own scale.
 * Every bar carries `data-minute` and `data-family` and a `<title>` for a tooltip; all text is
 * escaped. Pure.
 */
export function renderChart(points: readonly MinutePoint[]): { svg: string; legend: Array<{ family: string; colour: string; count: number }> } {
  const families = [...new Set(points.flatMap((p) => Object.keys(p.detections)))].sort();
  const colour = new Map(families.map((f, i) => [f, PALETTE[i % PALETTE.length]!]));
  const maxDetections = Math.max(1, ...points.map((p) => Object.values(p.detections).reduce((a, b) => a + b, 0)));
  const maxRequests = Math.max(1, ...points.map((p) => p.requests));
  const step = (WIDTH - 2 * PAD) / Math.max(1, points.length);
  const plot = HEIGHT - 2 * PAD;
  const bars: string[] = [];
  const line: string[] = [];
  points.forEach((p, i) => {
    const x = PAD + i * step;
    let y = HEIGHT - PAD;
    for (const f of families) {
      const n = p.detections[f] ?? 0;
      if (n === 0) continue;
      const h = (n / maxDetections) * plot;
      y -= h;
      const label = `${minuteOf(p.at)}: ${n} ${f}`;
      bars.push(`<rect class="detections" data-minute="${p.at.toISOString()}" data-family="${escapeHtml(f)}" x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1, step - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${colour.get(f)}"><title>${escapeHtml(label)}</title></rect>`);
    }
    line.push(`${(x + step / 2).toFixed(1)},${(HEIGHT - PAD - (p.requests / maxRequests) * plot).toFixed(1)}`);
  });
  const first = points[0];
  const last = points[points.length - 1];
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="Requests and detections per minute, last hour">`,
    `<line x1="${PAD}" y1="${HEIGHT - PAD}" x2="${WIDTH - PAD}" y2="${HEIGHT - PAD}" stroke="#999"/>`,
    `<polyline class="requests" points="${line.join(' ')}" fill="none" stroke="#777" stroke-width="1.5"><title>requests per minute (max ${maxRequests})</title></polyline>`,
    ...bars,
    `<text x="${PAD}" y="${HEIGHT - 6}" font-size="11" fill="#555">${first ? minuteOf(first.at) : ''}</text>`,
    `<text x="${WIDTH - PAD}" y="${HEIGHT - 6}" font-size="11" fill="#555" text-anchor="end">${last ? minuteOf(last.at) : ''}</text>`,
    `<text x="${PAD}" y="14" font-size="11" fill="#555">detections (bars, max ${maxDetections}/min) · requests (line, max ${maxRequests}/min)</text>`,
    '</svg>',
  ].join('');
  const legend = families.map((family) => ({ family, colour: colour.get(family)!, count: points.reduce((a, p) => a + (p.detections[family] ?? 0), 0) }));
  return { svg, legend };
}

function minuteOf(d: Date): string {
  return d.toISOString().slice(11, 16);
}
