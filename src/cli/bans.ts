import { Option, type Command } from 'commander';
import { canonicalIp } from '../address.js';
import { BANS_MAX_LIMIT } from '../bans/endpoints.js';
import { duration } from '../config/parse.js';
import { sanitiseLine } from '../detect/sanitise.js';
import { UsageError } from '../errors.js';
import { addAdminFlags, adminRequest, adminTarget, expectJson } from './admin-client.js';
import { EXPORT_FORMATS, runExport, type ExportFormat } from './bans-export.js';
import { asBanList, asBanRow, banTable, bannedLine } from './bans-view.js';
import { stdio, type CliIo } from './notices.js';

type Flags = Record<string, unknown>;

const EXIT_CODES = `
Exit status: 0 done (written, or unchanged with --if-changed); 1 the server could not be reached
or refused (401 token, 404 no such ban, 409 bans off or --allow), and nothing was written;
2 a usage mistake (a bad address, duration or flag, or a 400 from the server).`;

/**
 * `wormwatch bans list|add|del|export`: the bans of a running `wormwatch serve`, through its
 * admin API (`/bans`), with the server's own `--admin-listen`, token flags, env and `--config`.
 */
export function register(program: Command, io: CliIo = stdio): void {
  const bans = program.command('bans').description('List, add, lift and export the bans of a running server (its admin API; block mode).').addHelpText('after', EXIT_CODES);

  addAdminFlags(bans.command('list').description('List the bans in force, newest first.'))
    .option('--limit <n>', `at most this many (1 to ${BANS_MAX_LIMIT})`, '1000')
    .option('--json', 'print the JSON of GET /bans instead of a table')
    .action(async (o: Flags & { limit: string; json?: boolean }) => {
      const limit = Number(o.limit);
      if (!/^\d{1,6}$/.test(o.limit) || limit < 1 || limit > BANS_MAX_LIMIT) throw new UsageError(`invalid --limit ${sanitiseLine(o.limit, 40)}: expected an integer from 1 to ${BANS_MAX_LIMIT}`);
      const target = adminTarget(o);
      const list = asBanList(expectJson(target, await adminRequest(target, 'GET', `/bans?limit=${limit}`), 200));
      if (o.json) return io.out(`${JSON.stringify(list, null, 2)}\n`);
      if (!list.enabled) io.err('wormwatch: bans are off on this server (they need --mode block)\n');
      io.out(banTable(list.bans));
      if (list.total > list.count) io.err(`wormwatch: ${list.count} of ${list.total} bans shown (--limit)\n`);
    });

  addAdminFlags(bans.command('add').argument('<ip>', 'the address to ban (an IPv6 address bans its --ban-ipv6-prefix)').description('Ban an address now (replacing a ban in force).'))
    .option('--ttl <dur>', 'for this long, e.g. 30m, 2h, 7d (default: the server\'s --ban-ttl)')
    .action(async (ip: string, o: Flags & { ttl?: string }) => {
      const address = checkedAddress(ip);
      if (o.ttl !== undefined) checkTtl(o.ttl);
      const target = adminTarget(o);
      const answer = await adminRequest(target, 'POST', '/bans', { ip: address, ...(o.ttl !== undefined ? { ttl: o.ttl } : {}) });
      io.out(bannedLine(asBanRow(expectJson(target, answer, 201))));
    });

  addAdminFlags(bans.command('del').alias('lift').argument('<ip>', 'an address, or a prefix as list shows it').description('Lift the ban covering an address.'))
    .action(async (ip: string, o: Flags) => {
      const address = checkedAddress(ip.replace(/\/\d{1,3}$/, ''));
      const target = adminTarget(o);
      const answer = expectJson(target, await adminRequest(target, 'DELETE', `/bans/${encodeURIComponent(address)}`), 200) as { lifted?: unknown };
      io.out(`lifted the ban on ${sanitiseLine(asBanRow(answer.lifted).ip, 80)}\n`);
    });

  addAdminFlags(bans.command('export').argument('<file>', 'the file to replace atomically (mode 0644), or - for standard output')
    .description('Write the bans for nginx (a geo include) or as JSON; with --if-changed, only when they changed.'))
    .addOption(new Option('--format <format>', 'nginx: lines for geo $wormwatch_banned { include FILE; }; json: GET /bans').choices(EXPORT_FORMATS).makeOptionMandatory())
    .option('--if-changed', 'leave FILE untouched when only its time stamps would change; print "changed" or "unchanged" first')
    .addHelpText('after', EXIT_CODES)
    .action((file: string, o: Flags & { format: ExportFormat; ifChanged?: boolean }) =>
      runExport(adminTarget(o), { format: o.format, file, ifChanged: o.ifChanged === true }, io));
}

/** The canonical text of `ip`; a UsageError (exit 2) before anything is sent when it is not an address. */
function checkedAddress(ip: string): string {
  const canonical = canonicalIp(ip);
  if (canonical === null) throw new UsageError(`invalid address ${sanitiseLine(ip, 64)}: expected an IPv4 or IPv6 address such as 198.51.100.7`);
  return canonical;
}

/** A duration with its unit: a bare `2` would be 2 ms to the parser, never what was meant. */
function checkTtl(ttl: string): void {
  let ms = 0;
  try {
    ms = /[a-z]\s*$/i.test(ttl) ? duration(ttl) : 0;
  } catch {
    // answered below
  }
  if (!(ms > 0)) throw new UsageError(`invalid --ttl ${sanitiseLine(ttl, 40)}: expected a duration with its unit, such as 30m, 2h or 7d`);
}
