import type { HostLookup, NoticeRow } from './types.js';

/** The lookup outcome stored on a row: null while pending. */
export function hostOf(row: Pick<NoticeRow, 'hostname' | 'host_status'>): HostLookup | null {
  if (row.host_status === null) return null;
  return row.hostname ? { hostname: row.hostname } : { hostname: null, reason: row.host_status };
}

/** The sample request lines stored on a row ([] for a suppressed one, or a damaged value). */
export function parseSamples(text: string | null): string[] {
  if (text === null) return [];
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
  } catch {
    return [];
  }
}
