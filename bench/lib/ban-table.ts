import { pathKey } from '../../src/bans/key.js';
import { BanTable, FOREVER } from '../../src/bans/table.js';

/** A table of `n` bans: n/2 IPv4 addresses in 10.0.0.0/8, n/2 IPv6 /64s in 2001:db8::/32, and 100 paths. */
export function filledTable(n: number): BanTable {
  const t = new BanTable(n + 200);
  const until = Date.now() + 3_600_000;
  for (let i = 0; i < n / 2; i++) {
    t.put({ key: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, since: 0, until, count: 1, reason: 'request', signature: 'x' });
    t.put({ key: `2001:db8:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}::/64`, since: 0, until, count: 1, reason: 'request', signature: 'x' });
  }
  for (let i = 0; i < (n > 0 ? 100 : 0); i++) t.put({ key: pathKey(`/leak-${i}/.env`), since: 0, until: FOREVER, count: 1, reason: 'exposure', signature: 'x' });
  return t;
}
