import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { loadOptions } from '../config/load.js';
import { UsageError } from '../errors.js';
import { BOOTSTRAP_DIR } from '../notify/abuse-setup.js';
import { updateBootstrap } from '../rdap/index.js';
import { VERSION } from '../version.js';
import { stdio, type CliIo } from './notices.js';

/** The package's own copy (src/rdap/data, or dist/rdap/data once built): what `--shipped` refreshes. */
export const SHIPPED_DIR = fileURLToPath(new URL('../rdap/data/', import.meta.url));

/** Where IANA publishes the bootstrap registry (RFC 9224 §3). */
export const IANA_BOOTSTRAP = 'https://data.iana.org/rdap/';

/**
 * `wormwatch rdap update-bootstrap`: refreshes the IANA bootstrap the abuse tier uses to find
 * which registry to ask. Written into `<data-dir>/rdap-bootstrap/` by default, which `serve` uses
 * on its next start (before the shipped copy); `--to DIR` writes elsewhere, for `--rdap-bootstrap`;
 * `--shipped` replaces the package's own copy (a maintainer's step before a release: an installed
 * package may be read-only and is replaced by the next upgrade, which is why it is not the default).
 */
export function register(program: Command, io: CliIo = stdio): void {
  const rdap = program.command('rdap').description('The RDAP bootstrap (IANA registry) the abuse tier uses to find a network\'s abuse contact.');
  rdap.command('update-bootstrap')
    .description('Fetch ipv4.json and ipv6.json of the IANA RDAP bootstrap, check them and replace the copy in --data-dir (or --to) atomically.')
    .option('--from <url>', 'base URL of the registry', IANA_BOOTSTRAP)
    .option('--to <dir>', `directory to write them to (default <data-dir>/${BOOTSTRAP_DIR}, which serve uses on start)`)
    .option('--shipped', `replace the copy shipped in the package (${SHIPPED_DIR}) instead`)
    .option('--timeout <ms>', 'time each file may take, in milliseconds', '30000')
    .option('--data-dir <dir>', 'the server\'s data directory (default ./wormwatch-data; env WORMWATCH_DATA_DIR)')
    .option('-c, --config <file>', 'JSON or YAML options file')
    .action(async (o: { from: string; to?: string; shipped?: boolean; timeout: string; dataDir?: string; config?: string }) => {
      if (o.shipped && o.to !== undefined) throw new UsageError('give --to DIR or --shipped, not both');
      const timeoutMs = Number(o.timeout);
      if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new UsageError(`invalid --timeout ${o.timeout}: expected a positive number of milliseconds`);
      if (!/^https?:\/\//i.test(o.from)) throw new UsageError(`invalid --from ${o.from}: expected an http(s) URL such as ${IANA_BOOTSTRAP}`);
      const to = o.to ?? (o.shipped ? SHIPPED_DIR : undefined) ?? join(loadOptions({ flags: o.dataDir ? { dataDir: o.dataDir } : {}, env: process.env, ...(o.config ? { file: o.config } : {}) }).dataDir, BOOTSTRAP_DIR);
      const got = await updateBootstrap({ from: o.from, to, timeoutMs, userAgent: `wormwatch/${VERSION} (rdap update-bootstrap)` });
      for (const f of [got.ipv4, got.ipv6]) io.out(`wrote ${f.path}: published ${f.publication}, ${f.services} registries, ${f.prefixes} prefixes\n`);
      if (o.to === undefined && !o.shipped) io.out('wormwatch serve uses it from its next start (--rdap-bootstrap names another)\n');
    });
}
