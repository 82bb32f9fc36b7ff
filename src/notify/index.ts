// Notices to the administrators of offending hosts (the host tier), digests to the abuse desks of
// their networks (the abuse tier, RDAP), and mail to the operator about exposures: the hand-offs
// from the request path, the SQLite outbox, reverse DNS, SMTP delivery and their admin routes.
// Imports config, errors, admin, detect, storage, rdap and geoip's formatting.
import type { Logger } from 'pino';
import type { AdminRoute } from '../admin/route.js';
import type { NoticeMetricHandles } from '../metrics.js';
import type { Options } from '../config/options.js';
import type { DetectionEvent } from '../detect/detection.js';
import type { RdapClient } from '../rdap/index.js';
import { noticeRoutes } from './routes.js';
import { Delivery } from './delivery.js';
import { ReverseDns } from './dns.js';
import { Handoff } from './handoff.js';
import { factsOfRow, messageOf } from './message.js';
import { noticeMetrics } from './metrics.js';
import { OperatorHandoff } from './operator.js';
import { OutboxHolder } from './outbox-holder.js';
import { newMessageId, NoticeQueue } from './queue.js';
import { createSender, NO_SMTP } from './sender.js';
import type { NetworkFacts, NoticeKind, NoticeRow } from './types.js';
import type { Outbox } from './outbox.js';
import { checkNotifyOptions, relaysToFleet, tiersOf } from './mode.js';
import type { AbuseTier } from './abuse.js';
import { abusePollMs, abuseTierFor, rdapClientFor, type AbuseOptions } from './abuse-setup.js';
import type { DigestGate, NoticeGate, NoticeRelay, OperatorMailGate } from './gate.js';

export { renderSettings } from './message.js';
export type { DigestGate, DigestVerdict, NoticeGate, NoticeRelay, OperatorMailGate, OperatorMailTurn, SharedHost } from './gate.js';
export { checkNotifyOptions, notifyMode, tiersOf, type NotifyMode } from './mode.js';
export { bootstrapFor, BOOTSTRAP_DIR } from './abuse-setup.js';

export interface Notifier {
  /** Hands the detection off and returns; never waits on DNS, SQLite or SMTP. */
  notify(event: DetectionEvent): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  adminRoutes: AdminRoute[];
  /** The queue by state and the next retry, for the admin page; null when notices are off or the outbox is unreadable. */
  status(): { counts: Record<string, number>; nextRetryAt: Date | null } | null;
}

export interface NotifierDeps {
  metrics: NoticeMetricHandles;
  logger: Logger;
  /** The offender store: told the confirmed host names, asked each new offender's network. */
  offenders?: { setHostname?(ip: string, name: string | null): void; get?(ip: string): NetworkFacts | undefined };
  /** Fleet mode: which detections become notices here (a fleet-wide claim), and the shared domain cap. */
  gate?: NoticeGate;
  /** Fleet mode: one abuse digest per mailbox per window across the fleet. */
  digests?: DigestGate;
  /** Fleet mode: one operator mail per exposed path per UTC day across the fleet. */
  operatorMail?: OperatorMailGate;
  /** Fleet mode without `--smtp-url`: offender notices of the outbox go to the fleet's stream instead of SMTP. */
  relay?: NoticeRelay;
}

/** Outbox housekeeping (old suppressed rows, domain counts, the row count) runs this often. */
const HOUSEKEEPING_MS = 600_000;

/** The settings the notifier reads, and no others. */
export type NotifyOptions = Pick<Options,
  'notify' | 'smtpUrl' | 'redisUrl' | 'smtpRateLimit' | 'smtpRequireTls' | 'smtpTlsRejectUnauthorized' | 'dataDir' | 'outboxMaxRows' | 'allow'
  | 'noticeAllowPrivate' | 'noticeInterval' | 'noticeMaxPerHour' | 'noticeMaxPerDomainPerHour' | 'noticeFrom' | 'noticeReplyTo' | 'noticeRecipients'
  | 'noticeCc' | 'noticeBcc' | 'noticeFooter' | 'noticeRetryBase' | 'noticeRetryMax' | 'noticeMaxAge' | 'noticeLease'
  | 'dnsServer' | 'dnsTimeout' | 'dnsMaxInFlight' | 'dnsCacheTtl' | 'operatorEmail' | 'mode' | 'blockExposures'
  | 'noticeTiers' | 'abuseDigestInterval' | 'abuseAfter' | 'rdapUrl' | 'rdapBootstrap' | 'rdapTimeout'> & AbuseOptions;

/**
 * The notifier: offender notices and abuse digests as `--notify` and `--notice-tiers` say, and
 * operator mail about exposures whenever `--operator-email` is set (with `--smtp-url`; `--notify
 * off` or `outbox` does not hold it back).
 */
export function createNotifier(options: NotifyOptions, deps: NotifierDeps): Notifier {
  const mode = checkNotifyOptions(options);
  const operatorEmail = options.operatorEmail;
  const logger = deps.logger.child({ component: 'notify' });
  if (mode === 'off' && operatorEmail === undefined) return { notify() {}, start: async () => {}, stop: async () => {}, adminRoutes: noticeRoutes(() => undefined), status: () => null };

  const handoff = new Handoff();
  const exposures = operatorEmail === undefined ? undefined : new OperatorHandoff();
  const tiers = tiersOf(options);
  // Operator mail is sent whatever --notify says; offender notices and digests only in smtp mode.
  const sends: NoticeKind[] = [...(operatorEmail !== undefined ? ['operator' as const] : []), ...(mode === 'smtp' ? ['offender' as const, 'abuse' as const] : [])];
  // Fleet mode without --smtp-url: offender notices are relayed to the stream (the abuse tier is refused there).
  const relay = relaysToFleet(options) ? deps.relay : undefined;
  const box = new OutboxHolder(options.dataDir, logger);
  deps.metrics.queue.watch(() => box.counts());
  deps.metrics.outboxUp.watch(() => box.up);
  const metrics = noticeMetrics(deps.metrics);
  let queue: NoticeQueue | undefined;
  let delivery: Delivery | undefined;
  let dns: ReverseDns | undefined;
  let rdap: RdapClient | undefined;
  let abuse: AbuseTier | undefined;
  let housekeeping: NodeJS.Timeout | undefined;

  const admit = (event: DetectionEvent, hostQueuedAt?: number): void => {
    if (!handoff.add(event, hostQueuedAt)) metrics.dropped('handoff-full');
    queue?.schedule();
  };
  return {
    status: () => box.status(),
    notify(event) {
      if (mode !== 'off') {
        if (deps.gate) deps.gate.offer(event, admit);
        else if (!handoff.add(event)) metrics.dropped('handoff-full');
      }
      if (exposures !== undefined && !exposures.add(event)) metrics.dropped('handoff-full');
      queue?.schedule();
    },
    async start() {
      // First: an unusable --rdap-bootstrap stops start-up (exit 2) before anything is opened.
      if (mode !== 'off' && tiers.abuse) rdap = await rdapClientFor(options, metrics, logger);
      box.open();
      dns = new ReverseDns(
        { servers: options.dnsServer, timeoutMs: options.dnsTimeout, maxInFlight: options.dnsMaxInFlight, cacheTtlMs: options.dnsCacheTtl },
        metrics.dns,
      );
      if (sends.length > 0) {
        const poll = Math.min(1000, Math.max(20, Math.min(options.noticeRetryBase, options.noticeLease) / 2));
        delivery = new Delivery({ leaseMs: options.noticeLease, retryBaseMs: options.noticeRetryBase, retryMaxMs: options.noticeRetryMax, pollMs: poll, kinds: sends }, {
          outbox: () => box.current, sender: options.smtpUrl ? createSender(options) : NO_SMTP, metrics, logger,
          render: (row, outbox) => messageOf(row, outbox, options),
          onWriteError: (err) => box.failed(err),
          ...(deps.operatorMail ? { operatorMail: deps.operatorMail } : {}),
          ...(relay ? { relay: (row: NoticeRow, outbox: Outbox) => relay.relay(factsOfRow(row, outbox), row.message_id ?? newMessageId(options.noticeFrom)) } : {}),
        });
      }
      if (rdap !== undefined) {
        const client = rdap;
        deps.metrics.rdapCache.watch(() => client.cacheSize());
        abuse = abuseTierFor(options, {
          outbox: () => box.current, lookup: (ip) => client.lookup(ip), metrics, logger,
          onWriteError: (err) => box.failed(err), onReady: () => delivery?.pump(), messageId: () => newMessageId(options.noticeFrom),
          ...(deps.digests ? { fleet: deps.digests } : {}),
        });
      }
      queue = new NoticeQueue(handoff, {
        rules: { allow: options.allow, allowPrivate: options.noticeAllowPrivate },
        templates: options.noticeRecipients,
        from: options.noticeFrom,
        intervalMs: options.noticeInterval,
        maxPerHour: options.noticeMaxPerHour,
        maxPerDomainPerHour: options.noticeMaxPerDomainPerHour,
        maxAgeMs: options.noticeMaxAge,
        dnsMaxInFlight: options.dnsMaxInFlight,
        maxRows: options.outboxMaxRows,
        offenders: mode !== 'off',
        hostTier: tiers.host,
      }, {
        outbox: () => box.current, dns, metrics, logger,
        onWriteError: (err) => box.failed(err),
        onWriteOk: () => box.succeeded(),
        onHostname: (ip, name) => deps.offenders?.setHostname?.(ip, name),
        onReady: () => delivery?.pump(),
        ...(abuse ? { abuse } : {}),
        networkOf: (ip) => networkOf(deps.offenders?.get?.(ip)),
        ...(deps.gate?.domainsAllowed ? { domainsAllowed: deps.gate.domainsAllowed.bind(deps.gate) } : {}),
      }, exposures === undefined ? undefined : { handoff: exposures, recipient: operatorEmail! });
      housekeeping = setInterval(() => box.housekeep(options.noticeInterval), HOUSEKEEPING_MS);
      housekeeping.unref();
      delivery?.start();
      abuse?.start(abusePollMs(options));
      queue.resume();
      if (queue.pending > 0) queue.schedule();
      logger.info({ mode, tiers: options.noticeTiers, rdap: options.rdapUrl?.href ?? 'bootstrap', operatorMail: operatorEmail !== undefined, dataDir: options.dataDir }, 'notices enabled');
    },
    async stop() {
      clearInterval(housekeeping);
      queue?.stop();
      abuse?.stop();
      // What the request path handed off just before the signal goes to disk before exit (one
      // more try at opening the outbox if its disk refused until now).
      const pending = () => queue?.pending ?? handoff.size;
      if (box.current === null && pending() > 0) box.open();
      if (queue !== undefined && !queue.flush() && pending() > 0) {
        metrics.dropped('unwritten-at-exit', pending());
        logger.error({ entries: pending() }, 'notice outbox could not be written before exit; these detections get no notice');
      }
      rdap?.close();
      dns?.cancel();
      await delivery?.stop();
      box.close();
    },
    adminRoutes: noticeRoutes(() => box.current ?? undefined),
  };
}


/** Only the three network fields of an offender (the store returns its whole record). */
function networkOf(o: NetworkFacts | undefined): NetworkFacts | undefined {
  return o === undefined ? undefined : { asn: o.asn, asOrg: o.asOrg, country: o.country };
}
