import { canonicalIp } from '../address.js';
import { isPathKey } from './key.js';
import type { Ban } from './table.js';

/** Only address and prefix text ever reaches the file: a key read back from a tampered bans.sqlite cannot inject a directive. */
const ADDRESS_KEY = /^[0-9a-f.:]+(?:\/\d{1,3})?$/;

/**
 * The address bans in force as the body of an nginx `geo` block, for nginx to refuse them at its
 * own speed:
 *
 *     geo $wormwatch_banned { default 0; include /etc/nginx/wormwatch-bans.conf; }
 *     server { if ($wormwatch_banned) { return 403; } ... }
 *
 * One `ADDRESS 1;` or `NETWORK/PREFIX 1;` line per ban. Pure; `GET /bans?format=nginx` serves
 * it and `wormwatch bans export --format nginx FILE` writes it atomically.
 */
export function renderNginxGeo(bans: Iterable<Ban>, now: Date): string {
  const lines: string[] = [];
  for (const ban of bans) {
    if (isPathKey(ban.key) || ban.until <= now.getTime() || !ADDRESS_KEY.test(ban.key)) continue;
    lines.push(`${ban.key} 1;`);
  }
  return [
    `# wormwatch bans: ${lines.length} in force at ${now.toISOString()}. Generated; do not edit.`,
    '# Include it inside a geo block: geo $wormwatch_banned { default 0; include <this file>; }',
    ...lines,
    '',
  ].join('\n');
}

/**
 * The entries (`ADDRESS 1;` lines, in order) of a geo include, comments and blank lines left
 * out; or the number of the first line that is anything else. `wormwatch bans export` writes
 * nothing else into nginx's configuration, whoever answered at the admin URL: a `}` or an
 * `include` from a hostile answer never reaches nginx. Pure.
 */
export function geoEntries(text: string): { entries: string[] } | { badLine: number } {
  const entries: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\S+) 1;$/.exec(line);
    if (m === null || !isAddressOrPrefix(m[1]!)) return { badLine: i + 1 };
    entries.push(line);
  }
  return { entries };
}

function isAddressOrPrefix(key: string): boolean {
  if (!ADDRESS_KEY.test(key)) return false;
  const [address, bits] = key.split('/') as [string, string | undefined];
  const canonical = canonicalIp(address);
  if (canonical === null) return false;
  return bits === undefined || Number(bits) <= (canonical.includes(':') ? 128 : 32);
}
