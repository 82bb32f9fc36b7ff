import type { Logger } from 'pino';
import type { AdminRoute } from '../admin/server.js';
import type { Metrics } from '../admin/metrics.js';
import type { Options } from '../config/options.js';
import { ConfigError } from '../errors.js';
import type { DetectionEvent } from '../events.js';
import { VERSION } from '../version.js';
import { noticeRoutes } from './admin.js';
import { Delivery } from './delivery.js';
import { ReverseDns } from './dns.js';
import { Intake } from './intake.js';
import { createNoticeMetrics } from './metrics.js';
import { Outbox } from './outbox.js';
import { Pipeline } from './pipeline.js';
import { createSender } from './sender.js';

export type NotifyMode = 'off' | 'outbox' | 'smtp';

export interface Notifier {
  /** Hands the detection off and returns; never waits on DNS, SQLite or SMTP. */
  notify(event: DetectionEvent): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  adminRoutes: AdminRoute[];
}

export interface NotifierDeps {
  metrics: Pick<Metrics, 'registry'>;
  logger: Logger;
  offenders?: { setHostname?(ip: string, name: string | null): void };
}

/** `--notify`, or its default: `smtp` when `--smtp-url` is set, else `outbox`. */
export function notifyMode(o: Pick<Options, 'notify' | 'smtpUrl'>): NotifyMode {
  const mode = o.notify ?? (o.smtpUrl ? 'smtp' : 'outbox');
  if (mode === 'smtp' && !o.smtpUrl) throw new ConfigError('--notify smtp needs --smtp-url, e.g. --smtp-url smtp://user:pass@mail.example.net:587 (or use --notify outbox)');
  return mode;
}

export function createNotifier(options: Options, deps: NotifierDeps): Notifier {
  const mode = notifyMode(options);
  const logger = deps.logger.child({ component: 'notify' });
  if (mode === 'off') return { notify() {}, start: async () => {}, stop: async () => {}, adminRoutes: noticeRoutes(() => undefined) };

  let outbox: Outbox | undefined;
  let pipeline: Pipeline | undefined;
  let delivery: Delivery | undefined;
  let dns: ReverseDns | undefined;
  let housekeeping: NodeJS.Timeout | undefined;
  const intake = new Intake();
  const metrics = createNoticeMetrics(deps.metrics.registry, () => (outbox?.db.open ? outbox.countsByState() : null));

  return {
    notify(event) {
      if (!intake.add(event)) {
        metrics.count('suppressed');
        return;
      }
      pipeline?.schedule();
    },
    async start() {
      outbox = openOutbox(options.dataDir);
      dns = new ReverseDns(
        { servers: options.dnsServer, timeoutMs: options.dnsTimeout, maxInFlight: options.dnsMaxInFlight, cacheTtlMs: options.dnsCacheTtl },
        metrics.dns,
      );
      if (mode === 'smtp') {
        const poll = Math.min(1000, Math.max(20, Math.min(options.noticeRetryBase, options.noticeLease) / 2));
        delivery = new Delivery(outbox, createSender(options), { leaseMs: options.noticeLease, retryBaseMs: options.noticeRetryBase, retryMaxMs: options.noticeRetryMax, pollMs: poll }, metrics, logger);
      }
      pipeline = new Pipeline(intake, {
        rules: { allow: options.allow, allowPrivate: options.noticeAllowPrivate },
        render: { from: options.noticeFrom, replyTo: options.noticeReplyTo, cc: options.noticeCc, bcc: options.noticeBcc, footer: options.noticeFooter, intervalMs: options.noticeInterval, version: VERSION },
        templates: options.noticeRecipients,
        intervalMs: options.noticeInterval,
        maxPerHour: options.noticeMaxPerHour,
        maxPerDomainPerHour: options.noticeMaxPerDomainPerHour,
        maxAgeMs: options.noticeMaxAge,
        dnsMaxInFlight: options.dnsMaxInFlight,
      }, {
        outbox, dns, metrics, logger,
        onHostname: (ip, name) => deps.offenders?.setHostname?.(ip, name),
        onReady: () => delivery?.pump(),
      });
      const box = outbox;
      housekeeping = setInterval(() => box.trim(Date.now(), options.noticeInterval), 600_000);
      housekeeping.unref();
      delivery?.start();
      pipeline.resume();
      if (intake.size > 0) pipeline.schedule();
      logger.info({ mode, dataDir: options.dataDir }, 'notices enabled');
    },
    async stop() {
      clearInterval(housekeeping);
      pipeline?.stop();
      dns?.cancel();
      await delivery?.stop();
      outbox?.close();
    },
    adminRoutes: noticeRoutes(() => (outbox?.db.open ? outbox : undefined)),
  };
}

function openOutbox(dataDir: string): Outbox {
  try {
    return new Outbox(dataDir);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ConfigError(`cannot open the notice outbox in --data-dir ${dataDir} (${why}): give a writable directory, or --notify off`);
  }
}

/** The app extension (see `src/app.ts`): notices for every detection, `GET /notices`. */
export function notifyExtension(ctx: { options: Options; metrics: Metrics; logger: Logger; offenders?: NotifierDeps['offenders'] }) {
  const n = createNotifier(ctx.options, { metrics: ctx.metrics, logger: ctx.logger, ...(ctx.offenders ? { offenders: ctx.offenders } : {}) });
  return { name: 'notify', onDetection: n.notify, adminRoutes: n.adminRoutes, start: n.start, stop: n.stop };
}
