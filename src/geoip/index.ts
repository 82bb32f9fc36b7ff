// src/geoip owns the autonomous system and country of an address: packaged @ip-location-db data by default, the user's GeoLite2 .mmdb files on request.
// It may import node builtins, maxmind, ipaddr.js and ../errors.js only; callers hand it address strings and get plain values back.
import type { Reader, Response } from 'maxmind';
import { toLookupAddress, type LookupAddress } from './lookup-address.js';
import type { AsnRangeTable } from './asn-table.js';
import { asFromRecord, countryFromRecord, NO_AS_INFO, NO_GEO_INFO, type AsInfo, type GeoInfo } from './records.js';
import { GeoIpError, openMmdb, openPackagedAsn, openPackagedCountry, type SourceInfo } from './sources.js';

export type { GeoInfo, AsInfo } from './records.js';
export type { SourceInfo } from './sources.js';
export { formatGeoInfo, sanitiseAsOrg, AS_ORG_MAX } from './records.js';
export { ISO_COUNTRY_CODES, isoCountry } from './countries.js';
export { GeoIpError } from './sources.js';

export interface GeoIpOptions {
  /** A GeoLite2-ASN (or compatible) .mmdb file instead of the packaged ASN data. */
  asnDb?: string;
  /** A GeoLite2-Country or -City (or compatible) .mmdb file instead of the packaged country data. */
  countryDb?: string;
  /** maxmind's LRU of decoded records, per .mmdb file (default 10,000, maxmind's own default;
   * 1..1,000,000). The packaged country file has 251 distinct records, so any size holds them all. */
  cacheMax?: number;
}

export interface GeoIp {
  /** Never throws: anything but a global unicast IPv4/IPv6 address (IPv4-mapped included) gets all nulls. */
  lookup(ip: string): GeoInfo;
  readonly sources: { readonly asn: SourceInfo; readonly country: SourceInfo };
  /** The credit the packaged data's CC BY 4.0 licences ask for, to show wherever results are shown. */
  readonly attribution: string;
}

export const DEFAULT_CACHE_MAX = 10_000;
const CACHE_MAX_LIMIT = 1_000_000;

const CREDIT = {
  asn: 'AS data: RouteViews, NRO and DB-IP (IP Geolocation by DB-IP, https://db-ip.com), CC BY 4.0',
  country: 'country data: NRO (https://www.nro.net), CC BY 4.0',
  maxmind: 'This product includes GeoLite2 data created by MaxMind, available from https://www.maxmind.com',
};

/** What the data's licences ask to be credited (CC BY 4.0 for the packaged data, MaxMind's
 * GeoLite2 EULA for its files); a user's other files carry their own terms. */
export function attributionFor(sources: GeoIp['sources']): string {
  const parts: string[] = [];
  if (sources.asn.origin === 'packaged') parts.push(CREDIT.asn);
  if (sources.country.origin === 'packaged') parts.push(CREDIT.country);
  const isMaxMind = (s: SourceInfo): boolean => s.origin === 'user' && /^(GeoLite2|GeoIP2)-/.test(s.description);
  if (isMaxMind(sources.asn) || isMaxMind(sources.country)) parts.push(CREDIT.maxmind);
  return parts.join('; ');
}

type Part<T> = (address: LookupAddress) => T;

function mmdbPart<T>(reader: Reader<Response>, fromRecord: (record: unknown) => T, none: T): Part<T> {
  return (address) => {
    try {
      return fromRecord(reader.get(address.text));
    } catch {
      // A record the reader cannot decode (a file corrupted past the probes at open): unknown.
      return none;
    }
  };
}

function tablePart(table: AsnRangeTable): Part<AsInfo> {
  return (address) => table.lookup(address);
}

async function openAsn(opts: GeoIpOptions, cacheMax: number): Promise<{ part: Part<AsInfo>; source: SourceInfo }> {
  if (opts.asnDb !== undefined) {
    const { reader, source } = await openMmdb(opts.asnDb, 'asn', 'user', cacheMax);
    return { part: mmdbPart(reader, asFromRecord, NO_AS_INFO), source };
  }
  const { table, source } = await openPackagedAsn();
  return { part: tablePart(table), source };
}

async function openCountry(opts: GeoIpOptions, cacheMax: number): Promise<{ part: Part<string | null>; source: SourceInfo }> {
  if (opts.countryDb !== undefined) {
    const { reader, source } = await openMmdb(opts.countryDb, 'country', 'user', cacheMax);
    return { part: mmdbPart(reader, countryFromRecord, null), source };
  }
  const { reader, source } = await openPackagedCountry(cacheMax);
  return { part: mmdbPart(reader, countryFromRecord, null), source };
}

/**
 * Opens the ASN and country data (about half a second, see bench/geoip.ts) and returns the
 * lookup. Throws GeoIpError, naming the file and the fix, for a missing or unusable database.
 */
export async function openGeoIp(opts: GeoIpOptions = {}): Promise<GeoIp> {
  const cacheMax = opts.cacheMax ?? DEFAULT_CACHE_MAX;
  if (!Number.isInteger(cacheMax) || cacheMax < 1 || cacheMax > CACHE_MAX_LIMIT) {
    throw new GeoIpError('', `invalid GeoIP cache size ${cacheMax}: expected an integer from 1 to ${CACHE_MAX_LIMIT}`);
  }
  const [asn, country] = await Promise.all([openAsn(opts, cacheMax), openCountry(opts, cacheMax)]);
  const sources = { asn: asn.source, country: country.source };
  return {
    sources,
    attribution: attributionFor(sources),
    lookup(ip: string): GeoInfo {
      try {
        const address = toLookupAddress(ip);
        if (address === null) return NO_GEO_INFO;
        const as = asn.part(address);
        return { asn: as.asn, asOrg: as.asOrg, country: country.part(address) };
      } catch {
        return NO_GEO_INFO;
      }
    },
  };
}
