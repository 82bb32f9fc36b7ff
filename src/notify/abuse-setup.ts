import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Options } from '../config/options.js';
import { ConfigError } from '../errors.js';
import { BootstrapError, createRdapClient, loadBootstrap, SHIPPED_BOOTSTRAP, type Bootstrap, type RdapClient } from '../rdap/index.js';
import { VERSION } from '../version.js';
import { AbuseTier, type AbuseDeps } from './abuse.js';
import type { NoticeMetrics } from './metrics.js';

/** Where `wormwatch rdap update-bootstrap` writes the refreshed registry by default, inside `--data-dir`. */
export const BOOTSTRAP_DIR = 'rdap-bootstrap';

export type AbuseOptions = Pick<Options,
  'dataDir' | 'rdapUrl' | 'rdapBootstrap' | 'rdapTimeout' | 'allow' | 'noticeAllowPrivate' | 'abuseAfter' | 'abuseDigestInterval'
  | 'noticeMaxPerHour' | 'noticeMaxPerDomainPerHour' | 'noticeMaxAge' | 'outboxMaxRows' | 'noticeRetryBase' | 'noticeRetryMax'>;

/**
 * The IANA bootstrap to use: `--rdap-bootstrap`; else the copy `rdap update-bootstrap` wrote into
 * `--data-dir`; else the one shipped in the package. A file the user named that cannot be used
 * is a configuration error (exit 2); a damaged refreshed copy falls back to the shipped one, said once.
 */
export async function bootstrapFor(o: Pick<Options, 'dataDir' | 'rdapBootstrap'>, logger?: Logger): Promise<Bootstrap> {
  if (o.rdapBootstrap !== undefined) {
    try {
      return await loadBootstrap(o.rdapBootstrap);
    } catch (err) {
      if (err instanceof BootstrapError) throw new ConfigError(`invalid --rdap-bootstrap: ${err.message}`);
      throw err;
    }
  }
  const refreshed = join(o.dataDir, BOOTSTRAP_DIR);
  if (!existsSync(refreshed)) return SHIPPED_BOOTSTRAP;
  try {
    return await loadBootstrap(refreshed);
  } catch (err) {
    logger?.error({ path: refreshed, err: (err as Error).message }, 'the refreshed RDAP bootstrap cannot be used; using the shipped copy (run wormwatch rdap update-bootstrap again)');
    return SHIPPED_BOOTSTRAP;
  }
}

/** The RDAP client of the abuse tier: `--rdap-url` for every lookup, or the registries of the bootstrap. */
export async function rdapClientFor(o: AbuseOptions, metrics: NoticeMetrics, logger: Logger): Promise<RdapClient> {
  const where = o.rdapUrl !== undefined ? { baseUrl: o.rdapUrl.href } : { bootstrap: await bootstrapFor(o, logger) };
  return createRdapClient({ ...where, timeoutMs: o.rdapTimeout, count: metrics.rdap, userAgent: `wormwatch/${VERSION} (RDAP abuse-contact lookup)` });
}

export function abuseTierFor(o: AbuseOptions, deps: AbuseDeps): AbuseTier {
  return new AbuseTier({
    rules: { allow: o.allow, allowPrivate: o.noticeAllowPrivate },
    afterMs: o.abuseAfter,
    digestIntervalMs: o.abuseDigestInterval,
    maxPerHour: o.noticeMaxPerHour,
    maxPerDomainPerHour: o.noticeMaxPerDomainPerHour,
    maxAgeMs: o.noticeMaxAge,
    maxRows: o.outboxMaxRows,
    retryBaseMs: o.noticeRetryBase,
    retryMaxMs: o.noticeRetryMax,
  }, deps);
}

/** How often the abuse tier looks for due digests and lookups: often enough for short intervals in tests, at most once a second. */
export function abusePollMs(o: Pick<Options, 'abuseDigestInterval' | 'noticeRetryBase'>): number {
  return Math.min(1000, Math.max(20, Math.min(o.abuseDigestInterval / 4, o.noticeRetryBase / 2)));
}
