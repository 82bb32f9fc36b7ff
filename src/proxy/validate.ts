import { ConfigError } from '../errors.js';
import type { Options } from '../config/options.js';

/** Cross-field checks of the proxy options; throws a one-line ConfigError naming the fix. */
export function checkProxyOptions(options: Pick<Options, 'upstream' | 'intake' | 'mirror'>): void {
  if (options.intake && options.mirror) throw new ConfigError('--intake and --mirror cannot be combined: choose one');
  if ((options.intake || options.mirror) && options.upstream !== undefined) {
    throw new ConfigError(`--upstream cannot be used with --${options.intake ? 'intake' : 'mirror'}: drop one of them`);
  }
  if (!options.intake && !options.mirror && options.upstream === undefined) {
    throw new ConfigError('--upstream is required (or use --intake/--mirror)');
  }
}
