import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import YAML from 'yaml';
import { ConfigError } from '../errors.js';
import type { Options } from './options.js';
import { envName, flagName, optionSpecs, type OptionSpec } from './spec.js';

export interface ConfigSources {
  /** Values from flags, keyed by option key; only the flags the user gave. */
  flags?: Partial<Record<keyof Options, unknown>>;
  /** Environment; only `WORMWATCH_*` variables are read. */
  env?: NodeJS.ProcessEnv;
  /** Path of a JSON or YAML config file (`--config` or `WORMWATCH_CONFIG`). */
  file?: string;
}

/** Environment variables that are not options but are still ours (not "unknown"). */
const RESERVED_ENV = new Set(['WORMWATCH_CONFIG']);

/**
 * Merges flags, then environment, then the config file, then defaults, validating every value.
 * Throws a ConfigError whose message is one line naming the option and what it expects.
 */
export function loadOptions(sources: ConfigSources = {}): Options {
  const env = sources.env ?? {};
  const file = sources.file ?? env.WORMWATCH_CONFIG;
  const fromFile = file ? readConfigFile(file) : {};
  rejectUnknownEnv(env);
  const out: Record<string, unknown> = {};
  for (const s of optionSpecs) {
    out[s.key] = resolve(s, sources.flags?.[s.key], env[envName(s.key)], fromFile[s.key], file);
  }
  return out as unknown as Options;
}

function resolve(s: OptionSpec, flag: unknown, env: string | undefined, fromFile: unknown, file?: string): unknown {
  if (flag !== undefined) return parseOne(s, flag, flagName(s.key));
  if (env !== undefined) return parseOne(s, env, envName(s.key));
  if (fromFile !== undefined) return parseOne(s, fromFile, `${s.key} in ${file}`);
  return s.default;
}

function parseOne(s: OptionSpec, raw: unknown, where: string): unknown {
  try {
    return s.parse(raw);
  } catch (err) {
    const shown = typeof raw === 'string' ? JSON.stringify(raw) : JSON.stringify(raw) ?? String(raw);
    throw new ConfigError(`invalid ${where}: got ${truncate(shown)}, expected ${(err as Error).message}`);
  }
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read --config ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let data: unknown;
  try {
    data = extname(file) === '.json' ? JSON.parse(text) : YAML.parse(text);
  } catch (err) {
    throw new ConfigError(`cannot parse --config ${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new ConfigError(`--config ${file} must hold a mapping of option names to values`);
  const known = new Set<string>(optionSpecs.map((s) => s.key));
  for (const key of Object.keys(data)) {
    if (!known.has(key)) throw new ConfigError(`unknown option "${key}" in ${file}${suggest(key, [...known])}`);
  }
  return data as Record<string, unknown>;
}

function rejectUnknownEnv(env: NodeJS.ProcessEnv): void {
  const known = new Set(optionSpecs.map((s) => envName(s.key)));
  for (const name of Object.keys(env)) {
    if (name.startsWith('WORMWATCH_') && !known.has(name) && !RESERVED_ENV.has(name)) {
      throw new ConfigError(`unknown environment variable ${name}${suggest(name, [...known])}`);
    }
  }
}

function suggest(name: string, known: string[]): string {
  const lower = name.toLowerCase();
  const close = known.find((k) => distance(k.toLowerCase(), lower) <= 2);
  return close ? ` (did you mean ${close}?)` : '';
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

function truncate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
