import { readFileSync } from 'node:fs';
import type { Bootstrap } from '../../src/rdap/index.js';

const DIR = new URL('./fixtures/', import.meta.url);

/** A fixture as JSON, with `{{origin}}` replaced by the loopback server's origin. */
export function fixture(name: string, origin = ''): unknown {
  return JSON.parse(readFileSync(new URL(name, DIR), 'utf8').replaceAll('{{origin}}', origin));
}

/**
 * A bootstrap whose registries are paths on the loopback server: `/ripe/`, `/arin/`, ...
 * (`/apnic/` is reached only by referral from `/arin/`, as APNIC space is from ARIN.)
 */
export function loopbackBootstrap(origin: string): Bootstrap {
  const file = (services: [string[], string[]][]) => ({ version: '1.0', publication: '2026-01-01T00:00:00Z', services });
  return {
    ipv4: file([
      [['193.0.0.0/8'], [`${origin}/ripe/`]],
      [['8.0.0.0/8', '198.0.0.0/8'], [`${origin}/arin/`]],
      [['1.0.0.0/8', '203.0.0.0/8'], [`${origin}/arin/`]],
      [['41.0.0.0/8'], [`${origin}/afrinic/`]],
      [['200.0.0.0/8'], [`${origin}/lacnic/`]],
    ]),
    ipv6: file([
      [['2001:600::/23'], [`${origin}/ripe/`]],
      [['2001:4800::/23'], [`${origin}/arin/`]],
    ]),
  };
}

/** A JSON answer whose entities nest `depth` levels deep, the abuse entity at the bottom. */
export function deeplyNested(depth: number): string {
  const abuse = '{"roles":["abuse"],"vcardArray":["vcard",[["email",{},"text","deep@nested.example"]]]}';
  return `{"objectClassName":"ip network","startAddress":"193.0.0.0","endAddress":"193.0.7.255","entities":[${'{"roles":["registrant"],"entities":['.repeat(depth)}${abuse}${']}'.repeat(depth)}]}`;
}
