import type { Logger } from 'pino';
import { isCorrupt, moveAside } from '../storage/disk.js';
import { Outbox } from './outbox.js';

/**
 * Opens the outbox. A damaged file is moved aside (`outbox.sqlite.corrupt-<time>`, with its WAL
 * and shared-memory files) and a fresh outbox started: notices are worth less than the site the
 * sidecar fronts, and the damaged file stays for inspection. Other failures throw for the caller
 * to retry later.
 */
export function openOutbox(dataDir: string, logger: Logger, now = new Date()): Outbox {
  try {
    return new Outbox(dataDir);
  } catch (err) {
    if (!isCorrupt(err)) throw err;
    const path = `${dataDir}/outbox.sqlite`;
    const aside = moveAside(path, now);
    logger.error({ path, movedTo: aside, err: (err as Error).message }, 'notice outbox file is damaged; moved it aside and started a fresh outbox');
    return new Outbox(dataDir);
  }
}
