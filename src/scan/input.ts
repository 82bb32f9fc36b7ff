import { ConfigError } from '../errors.js';
import { clientResolver, FieldMismatchError, fieldName, type ClientField, type ClientOf } from './client.js';
import { createParser } from './formats/index.js';
import { compileNginxFormat } from './formats/nginx-format.js';
import type { FormatName, LineParser } from './record.js';

/** How the lines of every input are read: `--format`, `--log-format`, `--client-ip-field`, `--trust-proxy`. */
export interface LineInputOptions {
  format: FormatName;
  /** An nginx `log_format` (the directive or its strings): the format of every input, no sniffing. */
  logFormat?: string;
  clientField?: ClientField;
  trustProxy?: readonly string[];
}

export interface LineInput {
  /** A parser for each input when the format is known in advance; null: sniff each input. */
  fixed: (() => LineParser) | null;
  /** A parser of a sniffed format; throws FieldMismatchError when it cannot hold the client field. */
  sniffed(format: Exclude<FormatName, 'auto'>): LineParser;
  /** The client address of a record, when a client field is read; null: the logged peer. */
  client: ClientOf | null;
}

/** Checks the combination (a one-line ConfigError naming the fix) and builds the parsers. */
export function lineInput(options: LineInputOptions): LineInput {
  const { format, clientField } = options;
  const client = clientResolver(clientField, options.trustProxy ?? []);
  const sniffed = (f: Exclude<FormatName, 'auto'>): LineParser => createParser(f, clientField);
  if (options.logFormat !== undefined) {
    if (format !== 'auto' && format !== 'nginx') throw new ConfigError(`--log-format is the format of every file: drop --format ${format}`);
    const parser = compileLogFormat(options.logFormat, clientField);
    return { fixed: () => parser, sniffed, client };
  }
  if (format === 'auto') return { fixed: null, sniffed, client };
  try {
    sniffed(format);
  } catch (err) {
    throw mismatch(err, clientField, `--format ${format}`);
  }
  return { fixed: () => sniffed(format), sniffed, client };
}

/** One compiled parser serves every input: a log_format parser keeps no state between lines. */
function compileLogFormat(logFormat: string, field: ClientField | undefined): LineParser {
  let parser: LineParser;
  try {
    parser = compileNginxFormat(logFormat);
  } catch (err) {
    throw new ConfigError(`invalid --log-format: ${(err as Error).message}`);
  }
  if (field === undefined) return parser;
  if (field.kind === 'quoted') {
    throw new ConfigError(`--client-ip-field ${field.index}: a --log-format names its fields: give the header (X-Forwarded-For for $http_x_forwarded_for) or the $variable instead of a position`);
  }
  try {
    return compileNginxFormat(logFormat, { clientField: field.kind === 'variable' ? `$${field.name}` : field.name });
  } catch (err) {
    throw new ConfigError(`--client-ip-field ${fieldName(field)}: ${(err as Error).message}`);
  }
}

function mismatch(err: unknown, field: ClientField | undefined, format: string): unknown {
  if (!(err instanceof FieldMismatchError) || field === undefined) return err;
  return new ConfigError(`--client-ip-field ${fieldName(field)} with ${format}: ${err.message}`);
}
