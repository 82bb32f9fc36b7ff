import type { Command } from 'commander';
import type { OptionSpec } from '../config/spec.js';
import { ConfigError } from '../errors.js';
import { addOptionFlags, optionsFromFlags } from './options.js';

/** What `wormwatch mailer` takes: Redis, SMTP, and what a notice says, to whom and how often. */
const MAILER_KEYS = new Set(['redisUrl', 'redisPrefix', 'redisTimeout', 'replicaName', 'smtpUrl', 'smtpRateLimit', 'smtpRequireTls', 'smtpTlsRejectUnauthorized',
  'noticeLease', 'noticeMaxAge', 'noticeRecipients', 'noticeMaxPerDomainPerHour', 'noticeFrom', 'noticeReplyTo', 'noticeCc', 'noticeBcc', 'noticeFooter', 'noticeInterval',
  'dnsServer', 'dnsTimeout', 'dnsMaxInFlight', 'dnsCacheTtl', 'logLevel', 'metricsListen', 'allow', 'noticeAllowPrivate']);

/**
 * `wormwatch mailer --redis-url … --smtp-url …`: sends the fleet's notices from its Redis stream,
 * for fleets whose sidecars hold no SMTP credentials. Several may run: they share the work, and
 * one that dies has its notices taken over after `--notice-lease`.
 */
export function register(program: Command): void {
  const cmd = program.command('mailer').description('Send the notices of a fleet (replicas with --redis-url) from its Redis stream; runs until SIGTERM.');
  addOptionFlags(cmd, (s: OptionSpec) => MAILER_KEYS.has(s.key)).action(async (raw: Record<string, unknown>) => {
    const options = optionsFromFlags(raw);
    if (options.redisUrl === undefined || options.smtpUrl === undefined) throw new ConfigError('wormwatch mailer needs --redis-url and --smtp-url');
    const [{ startStreamMailer }, { createLogger }, { createMetrics }, { VERSION }, { createAdminServer }, { OffenderStore }] = await Promise.all([
      import('../fleet/index.js'), import('../log.js'), import('../metrics.js'), import('../version.js'), import('../admin/server.js'), import('../offenders/store.js'),
    ]);
    const logger = createLogger(options.logLevel);
    const metrics = createMetrics(VERSION);
    const mailer = startStreamMailer(options, { logger, notices: metrics.notices, registry: metrics.registry });
    // --metrics-listen: /metrics, /healthz and /readyz alone (the notice counters, wormwatch_redis_up); the mailer keeps no offenders.
    const scrape = options.metricsListen === undefined ? undefined : createAdminServer({ metrics, offenders: new OffenderStore({ max: 1, ttl: 1, samples: 0 }), logger, isReady: () => true, publicOnly: true });
    const metricsAddress = scrape && options.metricsListen ? await scrape.listen(options.metricsListen) : undefined;
    logger.info({ redis: options.redisUrl.protocol === 'unix:' ? options.redisUrl.pathname : options.redisUrl.host, smtp: options.smtpUrl.host, metrics: metricsAddress }, 'wormwatch mailer running');
    const stop = (): void => void Promise.all([mailer.stop(), scrape?.close()]).then(() => process.exit(0), () => process.exit(1));
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
