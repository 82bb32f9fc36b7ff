import { open } from 'node:fs/promises';
import { BANS_MAX_LIMIT } from '../bans/endpoints.js';
import { geoEntries } from '../bans/nginx.js';
import { AdminAnswerError, ExportFileError, UsageError } from '../errors.js';
import { ANSWER_MAX_BYTES, adminRequest, expectJson, refusal, type AdminTarget } from './admin-client.js';
import { asBanList } from './bans-view.js';
import { writeFileAtomic } from './atomic-write.js';
import type { CliIo } from './notices.js';

export const EXPORT_FORMATS = ['nginx', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportRequest {
  format: ExportFormat;
  /** The file to replace, or `-` for standard output. */
  file: string;
  /** Leave the file alone when only its time stamps would change. */
  ifChanged: boolean;
}

interface Fetched {
  text: string;
  bans: number;
}

/**
 * `wormwatch bans export`: fetches the bans and writes them atomically (see writeFileAtomic),
 * printing `written FILE (N bans)`, or with `--if-changed` `changed …` / `unchanged …` (the first
 * word is for scripts: reload nginx only after `changed`). Nothing is written unless the whole
 * answer arrived and checked out. Throws errors of the table (exit 1, or 2 for usage).
 */
export async function runExport(target: AdminTarget, req: ExportRequest, io: CliIo): Promise<void> {
  if (req.file === '-' && req.ifChanged) throw new UsageError('--if-changed needs a FILE to compare with, not -');
  const got = req.format === 'nginx' ? await fetchNginx(target) : await fetchJson(target, io);
  if (req.file === '-') return io.out(got.text);
  if (req.ifChanged) {
    const old = await readExisting(req.file);
    if (old !== null && comparable(req.format, old) === comparable(req.format, got.text)) {
      return io.out(`unchanged ${req.file} (${got.bans} bans)\n`);
    }
  }
  try {
    await writeFileAtomic(req.file, got.text);
  } catch (err) {
    throw new ExportFileError(`cannot write ${req.file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): the file is left as it was`);
  }
  io.out(`${req.ifChanged ? 'changed' : 'written'} ${req.file} (${got.bans} bans)\n`);
}

async function fetchNginx(target: AdminTarget): Promise<Fetched> {
  const answer = await adminRequest(target, 'GET', '/bans?format=nginx');
  if (answer.status !== 200) throw refusal(target, answer);
  const parsed = geoEntries(answer.body);
  if ('badLine' in parsed) {
    throw new AdminAnswerError(`line ${parsed.badLine} of the answer of ${target.base} is no "ADDRESS 1;" entry: nothing written (is --admin a wormwatch admin server?)`);
  }
  return { text: answer.body.endsWith('\n') ? answer.body : `${answer.body}\n`, bans: parsed.entries.length };
}

async function fetchJson(target: AdminTarget, io: CliIo): Promise<Fetched> {
  const list = asBanList(expectJson(target, await adminRequest(target, 'GET', `/bans?limit=${BANS_MAX_LIMIT}`), 200));
  if (list.total > list.count) io.err(`wormwatch: the JSON holds ${list.count} of ${list.total} bans (the API's limit); --format nginx holds them all\n`);
  return { text: `${JSON.stringify(list, null, 2)}\n`, bans: list.count };
}

/**
 * An export without what changes on every fetch: the comment lines (they carry the time) and
 * the order of an nginx include; `remainingSeconds` (it ticks) and the order of a JSON one.
 * Null when `text` is not an export of `format` (so it counts as changed). Pure.
 */
export function comparable(format: ExportFormat, text: string): string | null {
  if (format === 'nginx') {
    const parsed = geoEntries(text);
    return 'entries' in parsed ? [...parsed.entries].sort().join('\n') : null;
  }
  try {
    const list = asBanList(JSON.parse(text));
    const bans = list.bans.map(({ remainingSeconds: _ticks, ...rest }) => rest).sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0));
    return JSON.stringify({ enabled: list.enabled, total: list.total, bans });
  } catch {
    return null;
  }
}

/** The file as it is; null when it does not exist or is larger than any export (then it is replaced). */
async function readExisting(file: string): Promise<string | null> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ExportFileError(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}) to compare: nothing written`);
  }
  try {
    if ((await handle.stat()).size > ANSWER_MAX_BYTES) return null;
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}
