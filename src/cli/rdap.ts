import { join } from 'node:path';
import type { Command } from 'commander';
import { loadOptions } from '../config/load.js';
import { UsageError } from '../errors.js';
import { BOOTSTRAP_DIR } from '../notify/abuse-setup.js';
import { updateBootstrap } from '../rdap/index.js';
import { VERSION } from '../version.js';
import { stdio, type CliIo } from './notices.js';

/** Where IANA publishes the bootstrap registry (RFC 9224 §3). */
export const IANA_BOOTSTRAP = 'https://data.iana.org/rdap/';

/**
 * `wormwatch rdap update-bootstrap`: refreshes the IANA bootstrap the abuse tier uses to find
 * which registry to ask. Written into `<data-dir>/rdap-bootstrap/` by default, which `serve` uses
 * on its next start (before the shipped copy); `--to DIR` writes elsewhere, for `--rdap-bootstrap`.
 */
export function register(program: Command, io: CliIo = stdio): void {
  const rdap = program.command('rdap').description('The RDAP bootstrap (IANA registry) the abuse tier uses to find a network\'s abuse contact.');
  rdap.command('update-bootstrap')
    .description('Fetch ipv4.json and ipv6.json of the IANA RDAP bootstrap, check them and replace the copy in --data-dir (or --to) atomically.')
    .option('--from <url>', 'base URL of the registry', IANA_BOOTSTRAP)
    .option('--to <dir>', `directory to write them to (default <data-dir>/${BOOTSTRAP_DIR}, which serve uses on start)`)
    .option('--timeout <ms>', 'time each file may take, in milliseconds', '30000')
    .option('--data-dir <dir>', 'the server\'s data directory (default ./wormwatch-data; env WORMWATCH_DATA_DIR)')
    .option('-c, --config <file>', 'JSON or YAML options file')
    .action(async (o: { from: string; to?: string; timeout: string; dataDir?: string; config?: string }) => {
      const timeoutMs = Number(o.timeout);
      if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new UsageError(`invalid --timeout ${o.timeout}: expected a positive number of milliseconds`);
      if (!/^https?:\/\//i.test(o.from)) throw new UsageError(`invalid --from ${o.from}: expected an http(s) URL such as ${IANA_BOOTSTRAP}`);
      const to = o.to ?? join(loadOptions({ flags: o.dataDir ? { dataDir: o.dataDir } : {}, env: process.env, ...(o.config ? { file: o.config } : {}) }).dataDir, BOOTSTRAP_DIR);
      const got = await updateBootstrap({ from: o.from, to, timeoutMs, userAgent: `wormwatch/${VERSION} (rdap update-bootstrap)` });
      for (const f of [got.ipv4, got.ipv6]) io.out(`wrote ${f.path}: published ${f.publication}, ${f.services} registries, ${f.prefixes} prefixes\n`);
      if (o.to === undefined) io.out('wormwatch serve uses it from its next start (--rdap-bootstrap names another)\n');
    });
}
