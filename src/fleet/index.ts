// Fleet mode: one replica's share of a fleet on Redis (bans, offenders, notice claims, digests). Created
// by the wiring when `--redis-url` is set; see README.md for what it owns and may import.
import type { Registry } from 'prom-client';
import type { AdminRoute } from '../admin/route.js';
import type { Options } from '../config/options.js';
import type { DetectionEvent } from '../detect/detection.js';
import type { Logger } from '../log.js';
import { createFleetMetrics, type FleetMetrics, type NoticeMetricHandles } from '../metrics.js';
import type { DigestGate, NoticeGate, NoticeRelay, OperatorMailGate } from '../notify/index.js';
import { relaysToFleet, tiersOf } from '../notify/mode.js';
import { eligibility } from '../notify/policy.js';
import { BanSync, type FleetBans } from './ban-sync.js';
import { FleetDigests } from './digests.js';
import { NoticeClaims } from './notice-claims.js';
import { FleetOperatorMail } from './operator-mail.js';
import { OffenderSync } from './offender-sync.js';
import { FleetOffenderReader, fleetOffenderRoutes, type LocalOffenders } from './offender-view.js';
import { RedisLink } from './redis-link.js';
import { replicaNameOf } from './replica.js';
import { NoticeProducer } from './notice-stream.js';
import { startStreamMailer, type MailerOptions, type RunningMailer } from './mailer.js';

export { RedisLink, reconnectDelay, redisOptions } from './redis-link.js';
export { replicaNameOf } from './replica.js';
export { startStreamMailer, type MailerOptions, type RunningMailer } from './mailer.js';

/** The settings fleet mode reads, and no others. */
export type FleetOptions = MailerOptions & Pick<Options, 'banMax' | 'offenderMax' | 'offenderTtl' | 'offenderSamples'
  | 'noticeMaxPerHour' | 'allow' | 'noticeAllowPrivate' | 'notify' | 'outboxMaxRows' | 'noticeTiers' | 'abuseDigestInterval' | 'operatorEmail' | 'noticeLease'>;

export interface FleetDeps {
  logger: Logger;
  registry: Registry;
  bans: FleetBans;
  offenders: LocalOffenders;
  /** The notifier's counters: a notice over the fleet's hourly cap is counted as suppressed. */
  notices: NoticeMetricHandles;
}

export interface Fleet {
  link: RedisLink;
  metrics: FleetMetrics;
  /** This replica's name in the fleet's records. */
  replica: string;
  onDetection(event: DetectionEvent): void;
  /** For the notifier: one notice per offender per interval across the fleet, and the shared caps. */
  gate: NoticeGate;
  /** For the abuse tier (when it is on): one digest per abuse mailbox per window across the fleet. */
  digests?: DigestGate;
  /** With `--operator-email`: one operator mail per exposed path per UTC day across the fleet. */
  operatorMail?: OperatorMailGate;
  /** Without `--smtp-url` (`--notify smtp`): the outbox's notices go to the stream, for `wormwatch mailer`. */
  relay?: NoticeRelay;
  adminRoutes: AdminRoute[];
  start(): void;
  stop(): Promise<void>;
}

export function createFleet(options: FleetOptions, deps: FleetDeps): Fleet {
  const logger = deps.logger.child({ component: 'fleet' });
  const metrics = createFleetMetrics(deps.registry);
  const link = new RedisLink({ url: options.redisUrl!, commandTimeoutMs: options.redisTimeout, prefix: options.redisPrefix }, metrics, logger);
  const replica = replicaNameOf(options);
  const bans = new BanSync(link, deps.bans, replica, metrics, logger, options.banMax);
  const offenders = new OffenderSync(link, { replica, max: options.offenderMax, ttlMs: options.offenderTtl, samples: options.offenderSamples }, metrics, (ip) => deps.offenders.get(ip));
  const tiers = tiersOf(options);
  const streams = tiers.host;
  const producer = new NoticeProducer(link, replica, options.noticeFrom, options.outboxMaxRows);
  const claims = new NoticeClaims(link, {
    replica, intervalMs: options.noticeInterval, maxPerHour: options.noticeMaxPerHour, maxPerDomainPerHour: options.noticeMaxPerDomainPerHour,
    eligible: (ip) => eligibility(ip, { allow: options.allow, allowPrivate: options.noticeAllowPrivate }).ok,
    // The stream carries host-tier notices only: with the abuse tier on, the winner's own
    // hand-off still takes its hits for the digests, which are merged fleet-wide (digests.ts).
    ...(streams ? { queue: (events: DetectionEvent[]) => producer.queue(events) } : {}),
    abuseTier: tiers.abuse,
  }, metrics, deps.notices);
  // A replica that may send (--smtp-url, --notify smtp) also consumes the fleet's notice stream.
  const sends = streams && options.smtpUrl !== undefined && (options.notify ?? 'smtp') === 'smtp';
  const digests = tiers.abuse
    ? new FleetDigests(link, { replica, intervalMs: options.abuseDigestInterval, maxPerHour: options.noticeMaxPerHour, maxPerDomainPerHour: options.noticeMaxPerDomainPerHour }, metrics)
    : undefined;
  const operatorMail = options.operatorEmail !== undefined ? new FleetOperatorMail(link, replica, options.noticeLease, metrics) : undefined;
  let mailer: RunningMailer | undefined;
  metrics.buffered.watch(() => bans.buffered + offenders.buffered + claims.buffered);
  return {
    link, metrics, replica, gate: claims, ...(digests ? { digests } : {}), ...(operatorMail ? { operatorMail } : {}),
    ...(relaysToFleet(options) ? { relay: producer } : {}),
    onDetection: (event) => offenders.record(event),
    adminRoutes: fleetOffenderRoutes(new FleetOffenderReader(link, deps.offenders), deps.offenders, link),
    start() {
      bans.start();
      offenders.start();
      link.start();
      if (sends) mailer = startStreamMailer(options, { logger, notices: deps.notices, fleet: metrics });
    },
    async stop() {
      bans.stop();
      claims.stop();
      offenders.stop();
      await offenders.flush().catch(() => undefined);
      await mailer?.stop();
      await link.stop();
    },
  };
}
