import { FieldMismatchError, fieldName, type ClientField } from '../client.js';
import type { FormatName, LineParser } from '../record.js';
import { createClfParser } from './clf.js';
import { createCsvParser } from './csv.js';
import { createW3cParser } from './w3c.js';

/**
 * A fresh parser for one file (parsers carry per-file state such as W3C's `#Fields:`), keeping
 * `field` as each record's `forwarded`. Throws FieldMismatchError when the format cannot hold it.
 */
export function createParser(format: Exclude<FormatName, 'auto'>, field?: ClientField): LineParser {
  switch (format) {
    case 'w3c':
      return createW3cParser(namedField(field, 'W3C logs name their columns: give the request header (X-Forwarded-For for a cs(X-Forwarded-For) column)'));
    case 'csv':
      return createCsvParser(namedField(field, 'CSV columns go by their header names: give the column\'s name'));
    default:
      return createClfParser(format, quotedField(field));
  }
}

function namedField(field: ClientField | undefined, hint: string): string | undefined {
  if (field === undefined) return undefined;
  if (field.kind === 'header') return field.name.toLowerCase();
  if (field.kind === 'variable') throw new FieldMismatchError(`${fieldName(field)} is an nginx variable, which only --log-format has`);
  throw new FieldMismatchError(`${hint} instead of a position`);
}

function quotedField(field: ClientField | undefined): number | undefined {
  if (field === undefined) return undefined;
  if (field.kind === 'quoted') return field.index;
  throw new FieldMismatchError('combined and common lines have no named fields: give the quoted field\'s position instead (4 for "$http_x_forwarded_for" after the user agent), or the whole format with --log-format');
}

/** How many leading lines `auto` looks at to choose a format. */
export const SNIFF_LINES = 50;

/**
 * Chooses the format of a file from its first lines: each candidate parses them (in a throwaway
 * instance) and the one that yields the most records (and recognised header lines) wins; ties go to the earlier candidate.
 * Returns null when no candidate parses a single line.
 */
export function sniffFormat(lines: readonly string[]): Exclude<FormatName, 'auto'> | null {
  let best: Exclude<FormatName, 'auto'> | null = null;
  let bestScore = 0;
  for (const format of ['combined', 'w3c', 'csv'] as const) {
    const parser = createParser(format);
    let score = 0;
    for (const line of lines) {
      const result = parser.parse(line);
      // A record is the best evidence; a recognised directive or header line (W3C `#Fields:`, the CSV header) counts too.
      if (result !== null && result !== 'skip') score += 2;
      else if (result === 'skip' && line.trim() !== '') score += 1;
    }
    if (score > bestScore) {
      best = format;
      bestScore = score;
    }
  }
  return best;
}
