import type { Options } from '../config/options.js';
import { ConfigError } from '../errors.js';

/** Cross-field checks; a one-line ConfigError naming the fix. */
export function checkBanOptions(o: Pick<Options, 'mode' | 'banTtl' | 'banTtlMax' | 'blockExposures'>): void {
  if (o.banTtl > 0 && o.mode !== 'block') throw new ConfigError('--ban-ttl needs --mode block (in monitor mode nothing is refused): add --mode block, or drop --ban-ttl');
  if (o.blockExposures && o.mode !== 'block') throw new ConfigError('--block-exposures needs --mode block: add --mode block, or drop --block-exposures');
  if (o.banTtl > o.banTtlMax) throw new ConfigError(`--ban-ttl-max must be at least --ban-ttl: raise --ban-ttl-max (now ${o.banTtlMax} ms) or lower --ban-ttl`);
}
