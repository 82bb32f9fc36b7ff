/**
 * Reads request lines (with User-Agent and Referer) and status codes from the shared evaluation
 * corpus (`../shared/corpus/` beside the project), for property tests and the matcher bench.
 * Returns [] when the corpus is not there.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface CorpusLine {
  folder: string;
  request: string;
  status: number;
  headers: Record<string, string>;
}

export const CORPUS_DIR = resolve(import.meta.dirname, '../../../shared/corpus');

const COMBINED = /^(?:\S+ )?\S+ \S+ \S+ \[[^\]]*\] "((?:[^"\\]|\\.)*)" (\d{3}) \S+(?: "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)")?/;

function fromCombined(folder: string, line: string): CorpusLine | null {
  const m = COMBINED.exec(line);
  if (!m) return null;
  const headers: Record<string, string> = {};
  if (m[3] && m[3] !== '-') headers.referer = m[3];
  if (m[4] && m[4] !== '-') headers['user-agent'] = m[4];
  return { folder, request: m[1]!, status: Number(m[2]), headers };
}

function csvFields(line: string): string[] {
  const out: string[] = [];
  const re = /("(?:[^"]|"")*"|[^,]*)(?:,|$)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line)) && out.length < 12) {
    const f = m[1]!;
    out.push(f.startsWith('"') ? f.slice(1, -1).replace(/""/g, '"') : f);
    if (m[0].length === 0) re.lastIndex++;
  }
  return out;
}

function fromCsv(folder: string, line: string): CorpusLine | null {
  const f = csvFields(line);
  if (f.length < 10 || f[0] === 'Host') return null;
  const headers: Record<string, string> = {};
  if (f[8] && f[8] !== '-') headers.referer = f[8];
  if (f[9] && f[9] !== '-') headers['user-agent'] = f[9];
  return { folder, request: `${f[4]} ${f[5]} HTTP/1.1`, status: Number(f[6]), headers };
}

/** Every parsable line of the corpus folders named (all when omitted), at most `limit` per folder. */
export function readCorpus(folders?: string[], limit = Infinity): CorpusLine[] {
  if (!existsSync(CORPUS_DIR)) return [];
  const out: CorpusLine[] = [];
  for (const folder of folders ?? readdirSync(CORPUS_DIR).filter((f) => !f.includes('.'))) {
    const dir = join(CORPUS_DIR, folder);
    if (!existsSync(dir)) continue;
    let count = 0;
    for (const file of readdirSync(dir).sort()) {
      if (file.endsWith('w3c_big.0')) continue;
      const text = readFileSync(join(dir, file), 'latin1');
      for (const line of text.split('\n')) {
        if (count >= limit) break;
        const parsed = file.endsWith('.csv') ? fromCsv(folder, line) : fromCombined(folder, line);
        if (parsed) {
          out.push(parsed);
          count++;
        }
      }
    }
  }
  return out;
}
