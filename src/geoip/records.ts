import { isoCountry } from './countries.js';

/** What wormwatch knows of an address's network. Every field is null when unknown. */
export interface GeoInfo {
  /** Autonomous system number, 1..4294967295. */
  readonly asn: number | null;
  /** The AS's organisation, sanitised: printable, single-line, at most AS_ORG_MAX characters. */
  readonly asOrg: string | null;
  /** ISO 3166-1 alpha-2 code in upper case (from the fixed list in countries.ts). */
  readonly country: string | null;
}

export type AsInfo = Pick<GeoInfo, 'asn' | 'asOrg'>;

export const NO_GEO_INFO: GeoInfo = Object.freeze({ asn: null, asOrg: null, country: null });
export const NO_AS_INFO: AsInfo = Object.freeze({ asn: null, asOrg: null });

/** Longest organisation kept (code points). The longest in the packaged data is 167; notices and
 * table cells need far less, and a database can hold a string of any size. */
export const AS_ORG_MAX = 128;

// Already clean: printable ASCII without leading, trailing or doubled spaces (the common case).
const CLEAN_ASCII = /^[\x21-\x7e]+(?: [\x21-\x7e]+)*$/;
// Letters, marks, numbers, punctuation, symbols and plain spaces; everything else (controls,
// line breaks, bidi overrides, zero-width and other format characters, private use) goes.
const NOT_PRINTABLE = /[^\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}]/gu;

/** A database's organisation name made safe to log, e-mail and show; null if nothing is left. */
export function sanitiseAsOrg(raw: unknown): string | null {
  if (typeof raw !== 'string' || raw.length === 0) return null;
  // A bounded prefix first: the result never needs more than AS_ORG_MAX code points (x2 for
  // surrogate pairs, plus slack for characters the cleaning removes).
  const head = raw.length > AS_ORG_MAX * 4 ? raw.slice(0, AS_ORG_MAX * 4) : raw;
  if (head.length <= AS_ORG_MAX && CLEAN_ASCII.test(head)) return head;
  const cleaned = head.replace(NOT_PRINTABLE, ' ').replace(/\s+/gu, ' ').trim();
  if (cleaned.length === 0) return null;
  const points = Array.from(cleaned);
  return points.length <= AS_ORG_MAX ? cleaned : points.slice(0, AS_ORG_MAX).join('').trimEnd();
}

/** A valid public or private AS number (0 is reserved and means "none" in some data). */
export function validAsn(raw: unknown): number | null {
  return typeof raw === 'number' && Number.isInteger(raw) && raw >= 1 && raw <= 0xffffffff ? raw : null;
}

function ownField(record: unknown, key: string): unknown {
  // Own properties only: a hostile database can hold a `__proto__` key, which the decoder turns
  // into the record's prototype.
  if (typeof record !== 'object' || record === null || !Object.hasOwn(record, key)) return undefined;
  return (record as Record<string, unknown>)[key];
}

/**
 * AS number and organisation from an ASN database record. GeoLite2-ASN, DB-IP's ASN Lite and
 * @ip-location-db's asn-mmdb all use `{ autonomous_system_number, autonomous_system_organization }`.
 */
export function asFromRecord(record: unknown): AsInfo {
  const asn = validAsn(ownField(record, 'autonomous_system_number'));
  if (asn === null) return NO_AS_INFO;
  return { asn, asOrg: sanitiseAsOrg(ownField(record, 'autonomous_system_organization')) };
}

/**
 * Country from a country (or city) database record: GeoLite2's `country.iso_code`, falling back
 * to `registered_country.iso_code` (GeoLite2 leaves `country` out for some anycast and satellite
 * ranges), or @ip-location-db's flat `country_code`.
 */
export function countryFromRecord(record: unknown): string | null {
  const flat = ownField(record, 'country_code');
  if (flat !== undefined) return isoCountry(flat);
  return (
    isoCountry(ownField(ownField(record, 'country'), 'iso_code')) ??
    isoCountry(ownField(ownField(record, 'registered_country'), 'iso_code'))
  );
}

/**
 * The parenthesised form for notices and summaries: `(AS63949, Akamai Connected Cloud, US)`.
 * Unknown parts are left out (`(AS63949, US)`, `(US)`); nothing known gives ''.
 */
export function formatGeoInfo(info: GeoInfo): string {
  const parts: string[] = [];
  if (info.asn !== null) parts.push(`AS${info.asn}`);
  if (info.asOrg !== null) parts.push(info.asOrg);
  if (info.country !== null) parts.push(info.country);
  return parts.length === 0 ? '' : `(${parts.join(', ')})`;
}
