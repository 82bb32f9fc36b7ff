import type { Registry } from 'prom-client';
import type { Options } from '../config/options.js';
import type { Logger } from '../log.js';
import { createFleetMetrics, type FleetMetrics, type NoticeMetricHandles } from '../metrics.js';
import { ReverseDns } from '../notify/dns.js';
import { renderSettings } from '../notify/message.js';
import { noticeMetrics } from '../notify/metrics.js';
import { createSender } from '../notify/sender.js';
import { replicaNameOf } from './replica.js';
import { RedisLink } from './redis-link.js';
import { BLOCK_MS, StreamMailer } from './stream-mailer.js';

/** The settings a consumer of the notice stream reads. */
export type MailerOptions = Pick<Options, 'redisUrl' | 'redisPrefix' | 'redisTimeout' | 'replicaName' | 'smtpUrl' | 'smtpRateLimit' | 'smtpRequireTls' | 'smtpTlsRejectUnauthorized'
  | 'noticeLease' | 'noticeMaxAge' | 'noticeRecipients' | 'noticeMaxPerDomainPerHour' | 'noticeFrom' | 'noticeReplyTo' | 'noticeCc' | 'noticeBcc' | 'noticeFooter' | 'noticeInterval'
  | 'dnsServer' | 'dnsTimeout' | 'dnsMaxInFlight' | 'dnsCacheTtl' | 'allow' | 'noticeAllowPrivate'>;

export interface RunningMailer {
  link: RedisLink;
  stop(): Promise<void>;
}

/**
 * A consumer of the fleet's notice stream with its own Redis connection (its reads block for
 * BLOCK_MS, longer than `--redis-timeout` allows the replica's commands), SMTP pool and resolver.
 * The consumer name is the replica name plus the process id: unique per process.
 */
export function startStreamMailer(options: MailerOptions, deps: { logger: Logger; notices: NoticeMetricHandles; registry?: Registry; fleet?: FleetMetrics }): RunningMailer {
  const logger = deps.logger.child({ component: 'mailer' });
  const fleet = deps.fleet ?? createFleetMetrics(deps.registry!);
  const link = new RedisLink({ url: options.redisUrl!, commandTimeoutMs: options.redisTimeout + BLOCK_MS, prefix: options.redisPrefix, reports: deps.fleet === undefined }, fleet, logger);
  const counts = noticeMetrics(deps.notices);
  const dns = new ReverseDns({ servers: options.dnsServer, timeoutMs: options.dnsTimeout, maxInFlight: options.dnsMaxInFlight, cacheTtlMs: options.dnsCacheTtl }, counts.dns);
  const mailer = new StreamMailer(link, {
    consumer: `${replicaNameOf(options)}-${process.pid}`,
    leaseMs: options.noticeLease, maxAgeMs: options.noticeMaxAge, templates: options.noticeRecipients,
    render: renderSettings(options), maxPerDomainPerHour: options.noticeMaxPerDomainPerHour,
    rules: { allow: options.allow, allowPrivate: options.noticeAllowPrivate },
  }, { sender: createSender(options), dns, counts, fleet, logger });
  link.start();
  mailer.start();
  return {
    link,
    async stop() {
      await mailer.stop();
      dns.cancel();
      await link.stop();
    },
  };
}
