/** Summarising a V8 `.cpuprofile` (from `node --cpu-prof`): self and inclusive time per function. */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

export interface Hotspot { fn: string; selfPct: number; inclusivePct: number }

function label(frame: ProfileNode['callFrame']): string {
  const where = frame.url.replace(/^.*?\/(src|dist|node_modules|bench)\//, '$1/').replace(/^file:\/\//, '');
  return `${frame.functionName || '(anonymous)'} ${where}${where ? `:${frame.lineNumber + 1}` : ''}`;
}

/** The `top` functions by inclusive time, with their self time; percentages of all samples. */
export function hotspots(profile: CpuProfile, top = 25): Hotspot[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const time = new Map<number, number>();
  profile.samples.forEach((id, i) => time.set(id, (time.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  let total = 0;
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const n of profile.nodes) {
    const t = time.get(n.id) ?? 0;
    if (t === 0) continue;
    total += t;
    self.set(label(n.callFrame), (self.get(label(n.callFrame)) ?? 0) + t);
    const seen = new Set<string>();
    for (let id: number | undefined = n.id; id !== undefined; id = parent.get(id)) {
      const k = label(byId.get(id)!.callFrame);
      if (!seen.has(k)) { seen.add(k); inclusive.set(k, (inclusive.get(k) ?? 0) + t); }
    }
  }
  const pct = (v: number | undefined): number => Math.round((1000 * (v ?? 0)) / Math.max(1, total)) / 10;
  return [...inclusive.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([fn, t]) => ({ fn, selfPct: pct(self.get(fn)), inclusivePct: pct(t) }));
}

/** The `top` functions by self time. */
export function selfHotspots(profile: CpuProfile, top = 25): Hotspot[] {
  return hotspots(profile, Number.MAX_SAFE_INTEGER).sort((a, b) => b.selfPct - a.selfPct).slice(0, top);
}
