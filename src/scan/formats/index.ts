import type { FormatName, LineParser } from '../record.js';
import { createClfParser } from './clf.js';
import { createCsvParser } from './csv.js';
import { createW3cParser } from './w3c.js';

/** A fresh parser for one file (parsers carry per-file state such as W3C's `#Fields:`). */
export function createParser(format: Exclude<FormatName, 'auto'>): LineParser {
  switch (format) {
    case 'w3c':
      return createW3cParser();
    case 'csv':
      return createCsvParser();
    default:
      return createClfParser(format);
  }
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
