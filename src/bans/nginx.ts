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
