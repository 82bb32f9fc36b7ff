import { Option, type Command } from 'commander';
import { loadOptions } from '../config/load.js';
import type { Options } from '../config/options.js';
import { envName, flagName, optionSpecs, type OptionSpec } from '../config/spec.js';

/**
 * One flag per option of the spec table, for every command that takes options (`serve` without
 * `scan`'s own, `scan` without the proxy's own). No commander defaults on purpose: only flags the user typed
 * may reach `loadOptions`, or they would hide the environment and the config file.
 */
export function addOptionFlags(cmd: Command, take: (s: OptionSpec) => boolean): Command {
  for (const s of optionSpecs) {
    if (!take(s)) continue;
    const flags = s.value ? `${flagName(s.key)} ${s.value}` : flagName(s.key);
    cmd.addOption(new Option(flags, `${s.description} (default ${s.shownDefault}; env ${envName(s.key)})`));
    // A switch that defaults to on needs a way off that reads as one: --no-builtin-rules.
    if (s.default === true) cmd.addOption(new Option(`--no-${flagName(s.key).slice(2)}`, `same as ${flagName(s.key)} false`));
  }
  return cmd.option('-c, --config <file>', 'JSON or YAML file of options, keyed as in the README table (env WORMWATCH_CONFIG)');
}

/** The options `serve` takes: all but `scan`'s own. */
export const forServe = (s: OptionSpec): boolean => s.scope !== 'scan';

/** The options that mean something without a listening proxy (`scan`): all but the proxy's own. */
export const forScan = (s: OptionSpec): boolean => s.scope !== 'proxy';

/** The typed options from the flags given, then `WORMWATCH_*`, then `--config`; throws ConfigError. */
export function optionsFromFlags(raw: Record<string, unknown>): Options {
  const flags: Partial<Record<keyof Options, unknown>> = {};
  for (const s of optionSpecs) if (raw[s.key] !== undefined) flags[s.key] = raw[s.key];
  const file = typeof raw.config === 'string' ? raw.config : undefined;
  return loadOptions({ flags, env: process.env, ...(file ? { file } : {}) });
}
