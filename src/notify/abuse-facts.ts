import type { EntryFacts, EntryRow } from './abuse-store.js';
import { refOf, timesOf } from './handoff.js';
import { MAX_SAMPLES, MAX_SIGNATURES, type NoticeFacts, type SignatureRef } from './types.js';

/**
 * The facts of one host in a digest, pure: built from the hand-off's facts, merged with later
 * hits, decoded from a stored entry. Bounded like a host-tier notice: MAX_SAMPLES request lines
 * (each with the time it was first seen, for the CLF evidence), MAX_SIGNATURES signatures.
 */
export function entryFactsOf(f: NoticeFacts): EntryFacts {
  const times = timesOf(f);
  return {
    hits: f.hits,
    firstSeen: f.firstSeen,
    lastSeen: f.lastSeen,
    signatures: [refOf(f.signature), ...(f.others ?? [])].slice(0, MAX_SIGNATURES),
    samples: f.samples.slice(0, MAX_SAMPLES).map((line, i) => [times[i]!, line]),
    network: f.network ?? { asn: null, asOrg: null, country: null },
  };
}

export function mergeEntryFacts(a: EntryFacts, b: EntryFacts): EntryFacts {
  const samples = [...a.samples];
  for (const s of b.samples) if (samples.length < MAX_SAMPLES && !samples.some(([, line]) => line === s[1])) samples.push(s);
  const signatures = [...a.signatures];
  for (const s of b.signatures) if (signatures.length < MAX_SIGNATURES && !signatures.some((x) => x.id === s.id)) signatures.push(s);
  return {
    hits: a.hits + b.hits,
    firstSeen: Math.min(a.firstSeen, b.firstSeen),
    lastSeen: Math.max(a.lastSeen, b.lastSeen),
    signatures,
    samples,
    network: a.network.asn !== null || a.network.country !== null ? a.network : b.network,
  };
}

/** A stored entry's facts; a damaged JSON value reads as empty, never throws. */
export function decodeEntry(row: EntryRow): EntryFacts {
  return {
    hits: row.hits,
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    signatures: parseList(row.signatures, isSignature).slice(0, MAX_SIGNATURES),
    samples: parseList(row.samples, isSample).slice(0, MAX_SAMPLES),
    network: { asn: row.asn, asOrg: row.as_org, country: row.country },
  };
}

function parseList<T>(text: string, ok: (v: unknown) => v is T): T[] {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v.filter(ok) : [];
  } catch {
    return [];
  }
}

export function isSignature(v: unknown): v is SignatureRef {
  const s = v as SignatureRef | null;
  return typeof s === 'object' && s !== null && typeof s.id === 'string' && typeof s.title === 'string' && typeof s.family === 'string';
}

export function isSample(v: unknown): v is [number, string] {
  return Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'string';
}
