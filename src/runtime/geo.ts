import type { Options } from '../config/options.js';
import { openGeoIp, type GeoIp } from '../geoip/index.js';

/**
 * The geoip databases, opened once per process and per set of files (about half a second and
 * 30 MB): a rules reload, a second app in the same process (the tests) or a scan after a serve
 * reuse them. Undefined with `--no-geoip`. Throws GeoIpError (exit 2) naming an unusable file.
 */
const opened = new Map<string, Promise<GeoIp>>();

export async function geoFor(options: Pick<Options, 'geoip' | 'geoipAsnDb' | 'geoipCountryDb'>): Promise<GeoIp | undefined> {
  if (!options.geoip) return undefined;
  const key = `${options.geoipAsnDb ?? ''}\n${options.geoipCountryDb ?? ''}`;
  let geo = opened.get(key);
  if (geo === undefined) {
    geo = openGeoIp({ ...(options.geoipAsnDb ? { asnDb: options.geoipAsnDb } : {}), ...(options.geoipCountryDb ? { countryDb: options.geoipCountryDb } : {}) });
    // A failed open is not kept: the next start tries again (after the user fixed the file).
    geo.catch(() => opened.delete(key));
    opened.set(key, geo);
  }
  return geo;
}
