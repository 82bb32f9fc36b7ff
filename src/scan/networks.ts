/**
 * The scan summary's top networks and countries: the counted offending addresses grouped by the
 * autonomous system and the country `--geoip` names for them. Computed once, when the summary is
 * made, over the addresses the tally already keeps (at most MAX_COUNTED_ADDRESSES), so a scan
 * pays one lookup per distinct address (about 1.5 µs for IPv4) and nothing per line.
 */

/** What the geoip lookup says of an address (the shape of `offenders/store.ts`' NetworkOf). */
export interface NetworkInfo {
  asn: number | null;
  asOrg: string | null;
  country: string | null;
}

export type NetworkLookup = (ip: string) => NetworkInfo;

export interface NetworkRow { asn: number; asOrg: string | null; addresses: number; detections: number }
export interface CountryRow { country: string; addresses: number; detections: number }

/** Rows shown in each list. */
export const TOP_NETWORKS = 10;

export function topNetworks(addresses: Iterable<[string, { detections: number }]>, lookup: NetworkLookup, top = TOP_NETWORKS): { networks: NetworkRow[]; countries: CountryRow[]; networkOf: Map<string, NetworkInfo> } {
  const networks = new Map<number, NetworkRow>();
  const countries = new Map<string, CountryRow>();
  const networkOf = new Map<string, NetworkInfo>();
  for (const [ip, { detections }] of addresses) {
    const info = lookup(ip);
    networkOf.set(ip, info);
    if (info.asn !== null) {
      const row = networks.get(info.asn) ?? { asn: info.asn, asOrg: info.asOrg, addresses: 0, detections: 0 };
      row.addresses++;
      row.detections += detections;
      networks.set(info.asn, row);
    }
    if (info.country !== null) {
      const row = countries.get(info.country) ?? { country: info.country, addresses: 0, detections: 0 };
      row.addresses++;
      row.detections += detections;
      countries.set(info.country, row);
    }
  }
  const order = (a: { addresses: number; detections: number }, b: { addresses: number; detections: number }): number => b.addresses - a.addresses || b.detections - a.detections;
  return { networks: [...networks.values()].sort(order).slice(0, top), countries: [...countries.values()].sort(order).slice(0, top), networkOf };
}

/** "AS63949, Akamai Connected Cloud, US" (as notices write it, `geoip/records.ts`), the parts known, or ''. */
export function networkLabel(info: Partial<NetworkInfo>): string {
  const parts: string[] = [];
  if (info.asn != null) parts.push(`AS${info.asn}`);
  if (info.asOrg != null) parts.push(info.asOrg);
  if (info.country != null) parts.push(info.country);
  return parts.join(', ');
}
