// A small reader of the Prometheus text exposition format, enough to check names, types and labels.
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  types: Map<string, string>;
  samples: Sample[];
}

export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ');
      types.set(name!, type!);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { types, samples };
}

/** The metric names and types that dashboards and alerts rely on (issue 2, section 5). */
export const REQUIRED_METRICS: Record<string, string> = {
  wormwatch_requests_total: 'counter',
  wormwatch_detections_total: 'counter',
  wormwatch_upstream_response_seconds: 'histogram',
  wormwatch_upstream_errors_total: 'counter',
  wormwatch_offenders: 'gauge',
  wormwatch_build_info: 'gauge',
};
