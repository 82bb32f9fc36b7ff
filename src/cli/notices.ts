import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadOptions } from '../config/load.js';
import type { Options } from '../config/options.js';
import { duration } from '../config/parse.js';
import { ConfigError, NoticeNotFoundError, UsageError } from '../errors.js';
import { summarise } from '../notify/routes.js';
import { Outbox } from '../notify/outbox.js';
import { messageOf } from '../notify/message.js';
import { composeRaw, showMessage } from '../notify/show.js';
import { NOTICE_KINDS, NOTICE_STATES, type NoticeKind, type NoticeState } from '../notify/types.js';

export interface CliIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

export const stdio: CliIo = { out: (s) => void process.stdout.write(s), err: (s) => void process.stderr.write(s) };

const KIND_NOTE: Record<NoticeKind, string> = { offender: '', operator: ' (operator mail)', abuse: ' (abuse digest)' };

interface Common {
  dataDir?: string;
  config?: string;
}

/**
 * `wormwatch notices list|show|retry|purge`: read and change the outbox in `--data-dir`, also
 * while a server is using it (SQLite WAL; writes wait up to 5 s for the server's short locks).
 */
export function register(program: Command, io: CliIo = stdio): void {
  const notices = program.command('notices').description('List, show, retry and purge notice e-mails in the outbox (works while the server runs).');
  const common = (c: Command) =>
    c.option('--data-dir <dir>', 'directory holding outbox.sqlite (default ./wormwatch-data; env WORMWATCH_DATA_DIR)').option('-c, --config <file>', 'JSON or YAML options file');

  common(notices.command('list').description('List notices (to offenders and to the operator), newest first.'))
    .option('--state <state>', `only this state: ${NOTICE_STATES.join(', ')}`)
    .option('--kind <kind>', `only this kind: ${NOTICE_KINDS.join(', ')} (operator: mail about an exposure; abuse: a digest to a network's abuse desk)`)
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'print JSON instead of a table')
    .action((o: Common & { state?: string; kind?: string; limit: string; json?: boolean }) =>
      withOutbox(o, (box) => {
        if (o.state !== undefined && !NOTICE_STATES.includes(o.state as NoticeState)) throw new UsageError(`invalid --state ${o.state}: expected one of ${NOTICE_STATES.join(', ')}`);
        if (o.kind !== undefined && !NOTICE_KINDS.includes(o.kind as NoticeKind)) throw new UsageError(`invalid --kind ${o.kind}: expected one of ${NOTICE_KINDS.join(', ')}`);
        const limit = Number(o.limit);
        if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`invalid --limit ${o.limit}: expected a positive integer`);
        const rows = box.list({ state: o.state as NoticeState | undefined, kind: o.kind as NoticeKind | undefined, limit }).map(summarise);
        if (o.json) return io.out(`${JSON.stringify(rows, null, 2)}\n`);
        // HOSTNAME holds an operator mail's exposed path and a digest's abuse mailbox (neither has a
        // host name), IP a digest's host count: the table stays one width.
        io.out(`${['ID', 'STATE', 'KIND', 'IP', 'HOSTNAME/PATH', 'SIGNATURE', 'HITS', 'CREATED', 'REASON'].join('\t')}\n`);
        for (const r of rows) io.out(`${[r.id, r.state, r.kind, listedIp(r), listedName(r) ?? '-', r.signature, r.hits, r.createdAt, r.reason ?? (r.open ? 'open: takes hosts until due' : '')].join('\t')}\n`);
      }),
    );

  common(notices.command('show').argument('<id>', 'notice id').description('Print one notice as it is (or was) sent: the decoded text, then the parts of the message; its state on stderr.'))
    .option('--raw', 'print the message exactly as composed for SMTP (RFC 5322, encoded) instead')
    .action((id: string, o: Common & { raw?: boolean }) =>
      withOutbox(o, async (box, options) => {
        const row = box.get(noticeId(id));
        if (!row) throw new NoticeNotFoundError(noticeId(id));
        io.err(`notice ${row.id}${KIND_NOTE[row.kind]}: ${row.state}${row.kind === 'abuse' && row.host_status === 'open' ? ' (open: hosts join it until it is due)' : ''}${row.reason ? ` (${summarise(row).reason})` : ''}, ${row.attempts} attempt(s)\n`);
        if (row.state === 'suppressed') return io.out(`(no message: suppressed notices keep only their facts)\n${JSON.stringify(summarise(row), null, 2)}\n`);
        const message = messageOf(row, box, options);
        io.out(o.raw ? `${message.bcc.length ? `(envelope Bcc: ${message.bcc.join(', ')})\n` : ''}${await composeRaw(message)}` : showMessage(message));
      }),
    );

  common(notices.command('retry').argument('[id]', 'notice id').description('Queue a failed (or suppressed) notice again, or every failed one.'))
    .option('--all-failed', 'retry every failed notice')
    .action((id: string | undefined, o: Common & { allFailed?: boolean }) =>
      withOutbox(o, (box, options) => {
        if ((id === undefined) === !o.allFailed) throw new UsageError('give either a notice ID or --all-failed');
        const now = Date.now();
        const n = box.retry(o.allFailed ? 'all-failed' : [noticeId(id!)], now, now + options.noticeMaxAge);
        if (id !== undefined && n === 0) {
          if (!box.get(noticeId(id))) throw new NoticeNotFoundError(noticeId(id));
          throw new UsageError(`notice ${id} is not failed, suppressed or retrying; nothing to retry`);
        }
        io.out(`queued ${n} notice(s) again\n`);
      }),
    );

  common(notices.command('purge').description('Delete sent, failed and suppressed notices older than a duration.'))
    .requiredOption('--older-than <dur>', 'age such as 30d')
    .action((o: Common & { olderThan: string }) =>
      withOutbox(o, (box) => {
        let age: number;
        try {
          age = duration(o.olderThan);
        } catch (err) {
          throw new UsageError(`invalid --older-than ${o.olderThan}: expected ${(err as Error).message}`);
        }
        io.out(`purged ${box.purge(Date.now() - age)} notice(s)\n`);
      }),
    );
}

function listedIp(r: ReturnType<typeof summarise>): string {
  return r.kind === 'abuse' ? `${r.hosts ?? 0} host(s)` : r.ip;
}

function listedName(r: ReturnType<typeof summarise>): string | null {
  return r.kind === 'operator' ? r.path : r.kind === 'abuse' ? r.recipient : r.hostname;
}

function noticeId(raw: string): number {
  if (!/^\d{1,15}$/.test(raw)) throw new UsageError(`invalid notice id ${raw}: expected a number from wormwatch notices list`);
  return Number(raw);
}

async function withOutbox(o: Common, fn: (box: Outbox, options: Options) => void | Promise<void>): Promise<void> {
  const options = loadOptions({ flags: o.dataDir ? { dataDir: o.dataDir } : {}, env: process.env, ...(o.config ? { file: o.config } : {}) });
  if (!existsSync(join(options.dataDir, 'outbox.sqlite'))) {
    throw new ConfigError(`no outbox in --data-dir ${options.dataDir}: point it at the server's data directory`);
  }
  const box = new Outbox(options.dataDir);
  try {
    await fn(box, options);
  } finally {
    box.close();
  }
}
