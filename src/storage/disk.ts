import { accessSync, constants, existsSync, renameSync, statfsSync } from 'node:fs';
import type { Logger } from 'pino';

/** What went wrong with the data directory, in the operating system's words. */
export interface DiskProblem {
  /** `ENOSPC`, `EROFS`, `EACCES`, `ENOENT`, or the SQLite code when nothing more is known. */
  code: string;
  path: string;
  message: string;
}

const CORRUPT = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB']);

/** A damaged SQLite file (random bytes, a truncated database) rather than a disk that refuses writes. */
export function isCorrupt(err: unknown): boolean {
  const code = String((err as NodeJS.ErrnoException | undefined)?.code ?? '');
  return CORRUPT.has(code) || code.startsWith('SQLITE_CORRUPT') || /not a database|malformed/i.test((err as Error | undefined)?.message ?? '');
}

/**
 * The real cause of a failed write or open of a SQLite file in `--data-dir`. SQLite reports `SQLITE_FULL`, `SQLITE_READONLY`
 * or `SQLITE_CANTOPEN`; the directory itself says which of ENOSPC, EROFS or EACCES it is.
 */
export function diagnose(err: unknown, dir: string): DiskProblem {
  const code = String((err as NodeJS.ErrnoException | undefined)?.code ?? 'EIO');
  if (/^E[A-Z]+$/.test(code)) return problem(code, dir);
  try {
    accessSync(dir, constants.W_OK);
  } catch (e) {
    return problem((e as NodeJS.ErrnoException).code ?? 'EACCES', dir);
  }
  try {
    if (statfsSync(dir).bavail === 0) return problem('ENOSPC', dir);
  } catch {
    // statfs is only a hint
  }
  if (code === 'SQLITE_FULL') return problem('ENOSPC', dir);
  return problem(code, dir);
}

const MEANING: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  ENOENT: 'the directory does not exist',
};

function problem(code: string, path: string): DiskProblem {
  return { code, path, message: `${code}: ${MEANING[code] ?? 'the file cannot be written'} (${path})` };
}

/**
 * At most one log line per `intervalMs` for a repeating failure (a full disk fails every write):
 * the first at once, then one a minute saying how many were folded into it.
 */
export function onceEvery(logger: Logger, intervalMs = 60_000): (problem: DiskProblem, what: string) => void {
  let last = -Infinity;
  let folded = 0;
  return (p, what) => {
    const now = Date.now();
    if (now - last < intervalMs) {
      folded++;
      return;
    }
    logger.error({ code: p.code, path: p.path, repeated: folded }, `${what}: ${p.message}`);
    last = now;
    folded = 0;
  };
}

/**
 * Moves a damaged SQLite file aside (`<file>.corrupt-<time>`, with its WAL and shared-memory
 * files), so a fresh one can be started and the damaged one stays for inspection. Returns the new name.
 */
export function moveAside(path: string, now = new Date()): string {
  const aside = `${path}.corrupt-${now.toISOString().replace(/[:.]/g, '-')}`;
  for (const suffix of ['', '-wal', '-shm']) if (existsSync(path + suffix)) renameSync(path + suffix, aside + suffix);
  return aside;
}
