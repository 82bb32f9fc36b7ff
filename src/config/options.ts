/**
 * Every setting of `wormwatch serve` (and, but for the proxy's own, `scan`), after validation.
 * Each field can be given as a flag (`--offender-max`), an environment variable
 * (`WORMWATCH_OFFENDER_MAX`) or a key in the `--config` file (`offenderMax`), in that order of
 * precedence. The type is derived from the table in `spec.ts`, the one source of names,
 * parsing, defaults, `--help` and the README's configuration table. Components take only the
 * fields they use (`Pick<Options, ...>`).
 */
export type { Options } from './spec.js';
export type { ListenAddress } from './parse.js';
