// Notices to the administrators of offending hosts and mail to the operator about exposures: the
// hand-offs from the request path, the SQLite outbox, reverse DNS, SMTP delivery and their admin
// routes. Imports config, errors, admin.
import type { Logger } from 'pino';
import type { AdminRoute } from '../admin/route.js';
import type { NoticeMetricHandles } from '../metrics.js';
import type { Options } from '../config/options.js';
import type { DetectionEvent } from '../detect/detection.js';
import { noticeRoutes } from './routes.js';
import { Delivery } from './delivery.js';
import { diagnose, isCorrupt, onceEvery } from '../storage/disk.js';
import { openOutbox } from './disk.js';
import { ReverseDns } from './dns.js';
import { Handoff } from './handoff.js';
import { messageOf } from './message.js';
import { noticeMetrics } from './metrics.js';
import { OperatorHandoff } from './operator.js';
import type { Outbox } from './outbox.js';
import { DISK_RETRY_MS, NoticeQueue } from './queue.js';
import { createSender } from './sender.js';
import type { NoticeKind } from './types.js';
import { checkNotifyOptions } from './mode.js';
import type { NoticeGate } from './gate.js';

export { renderSettings } from './message.js';
export type { NoticeGate } from './gate.js';
export { checkNotifyOptions, notifyMode, type NotifyMode } from './mode.js';

export interface Notifier {
  /** Hands the detection off and returns; never waits on DNS, SQLite or SMTP. */
  notify(event: DetectionEvent): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  adminRoutes: AdminRoute[];
}

export interface NotifierDeps {
  metrics: NoticeMetricHandles;
  logger: Logger;
  offenders?: { setHostname?(ip: string, name: string | null): void };
  /** Fleet mode: which detections become notices here (a fleet-wide claim), and the shared domain cap. */
  gate?: NoticeGate;
}

/** Outbox housekeeping (old suppressed rows, domain counts, the row count) runs this often. */
const HOUSEKEEPING_MS = 600_000;

/** The settings the notifier reads, and no others. */
export type NotifyOptions = Pick<Options,
  'notify' | 'smtpUrl' | 'smtpRateLimit' | 'smtpRequireTls' | 'smtpTlsRejectUnauthorized' | 'dataDir' | 'outboxMaxRows' | 'allow'
  | 'noticeAllowPrivate' | 'noticeInterval' | 'noticeMaxPerHour' | 'noticeMaxPerDomainPerHour' | 'noticeFrom' | 'noticeReplyTo' | 'noticeRecipients'
  | 'noticeCc' | 'noticeBcc' | 'noticeFooter' | 'noticeRetryBase' | 'noticeRetryMax' | 'noticeMaxAge' | 'noticeLease'
  | 'dnsServer' | 'dnsTimeout' | 'dnsMaxInFlight' | 'dnsCacheTtl' | 'operatorEmail' | 'mode' | 'blockExposures'>;

/**
 * The notifier: offender notices as `--notify` says, and operator mail about exposures whenever
 * `--operator-email` is set (with `--smtp-url`; `--notify off` or `outbox` does not hold it back).
 */
export function createNotifier(options: NotifyOptions, deps: NotifierDeps): Notifier {
  const mode = checkNotifyOptions(options);
  const operatorEmail = options.operatorEmail;
  const logger = deps.logger.child({ component: 'notify' });
  if (mode === 'off' && operatorEmail === undefined) return { notify() {}, start: async () => {}, stop: async () => {}, adminRoutes: noticeRoutes(() => undefined) };

  const handoff = new Handoff();
  const exposures = operatorEmail === undefined ? undefined : new OperatorHandoff();
  // Operator mail is sent whatever --notify says; offender notices only in smtp mode.
  const sends: NoticeKind[] = [...(operatorEmail !== undefined ? ['operator' as const] : []), ...(mode === 'smtp' ? ['offender' as const] : [])];
  const box = new OutboxHolder(options.dataDir, logger);
  deps.metrics.queue.watch(() => box.counts());
  deps.metrics.outboxUp.watch(() => box.up);
  const metrics = noticeMetrics(deps.metrics);
  let queue: NoticeQueue | undefined;
  let delivery: Delivery | undefined;
  let dns: ReverseDns | undefined;
  let housekeeping: NodeJS.Timeout | undefined;

  const admit = (event: DetectionEvent): void => {
    if (!handoff.add(event)) metrics.dropped('handoff-full');
    queue?.schedule();
  };
  return {
    notify(event) {
      if (mode !== 'off') {
        if (deps.gate) deps.gate.offer(event, admit);
        else if (!handoff.add(event)) metrics.dropped('handoff-full');
      }
      if (exposures !== undefined && !exposures.add(event)) metrics.dropped('handoff-full');
      queue?.schedule();
    },
    async start() {
      box.open();
      dns = new ReverseDns(
        { servers: options.dnsServer, timeoutMs: options.dnsTimeout, maxInFlight: options.dnsMaxInFlight, cacheTtlMs: options.dnsCacheTtl },
        metrics.dns,
      );
      if (sends.length > 0) {
        const poll = Math.min(1000, Math.max(20, Math.min(options.noticeRetryBase, options.noticeLease) / 2));
        delivery = new Delivery({ leaseMs: options.noticeLease, retryBaseMs: options.noticeRetryBase, retryMaxMs: options.noticeRetryMax, pollMs: poll, kinds: sends }, {
          outbox: () => box.current, sender: createSender(options), metrics, logger,
          render: (row, outbox) => messageOf(row, outbox.text(row.text_id, row.signature), options),
          onWriteError: (err) => box.failed(err),
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
      }, {
        outbox: () => box.current, dns, metrics, logger,
        onWriteError: (err) => box.failed(err),
        onWriteOk: () => box.succeeded(),
        onHostname: (ip, name) => deps.offenders?.setHostname?.(ip, name),
        onReady: () => delivery?.pump(),
        ...(deps.gate?.domainsAllowed ? { domainsAllowed: deps.gate.domainsAllowed.bind(deps.gate) } : {}),
      }, exposures === undefined ? undefined : { handoff: exposures, recipient: operatorEmail! });
      housekeeping = setInterval(() => box.housekeep(options.noticeInterval), HOUSEKEEPING_MS);
      housekeeping.unref();
      delivery?.start();
      queue.resume();
      if (queue.pending > 0) queue.schedule();
      logger.info({ mode, operatorMail: operatorEmail !== undefined, dataDir: options.dataDir }, 'notices enabled');
    },
    async stop() {
      clearInterval(housekeeping);
      queue?.stop();
      // What the request path handed off just before the signal goes to disk before exit (one
      // more try at opening the outbox if its disk refused until now).
      const pending = () => queue?.pending ?? handoff.size;
      if (box.current === null && pending() > 0) box.open();
      if (queue !== undefined && !queue.flush() && pending() > 0) {
        metrics.dropped('unwritten-at-exit', pending());
        logger.error({ entries: pending() }, 'notice outbox could not be written before exit; these detections get no notice');
      }
      dns?.cancel();
      await delivery?.stop();
      box.close();
    },
    adminRoutes: noticeRoutes(() => box.current ?? undefined),
  };
}

/**
 * The outbox and the state of its disk. It never stops the proxy: a directory that cannot be
 * opened is tried again every DISK_RETRY_MS, a damaged file is moved aside, and write failures
 * are logged at most once a minute with the real cause (ENOSPC, EROFS, EACCES) and the path.
 */
class OutboxHolder {
  current: Outbox | null = null;
  #writable = false;
  #reopen: NodeJS.Timeout | undefined;
  readonly #report: ReturnType<typeof onceEvery>;

  constructor(private readonly dataDir: string, private readonly logger: Logger) {
    this.#report = onceEvery(logger);
  }

  get up(): boolean {
    return this.current !== null && this.#writable;
  }

  open(): void {
    clearTimeout(this.#reopen);
    this.#reopen = undefined;
    try {
      this.current = openOutbox(this.dataDir, this.logger);
      this.succeeded();
    } catch (err) {
      this.current = null;
      this.#writable = false;
      this.#report(diagnose(err, this.dataDir), 'cannot open the notice outbox in --data-dir; detections wait in memory until it can be');
      this.#reopen = setTimeout(() => this.open(), DISK_RETRY_MS);
      this.#reopen.unref();
    }
  }

  failed(err: unknown): void {
    if (isCorrupt(err) && this.current !== null) {
      // Damaged while running: closed, moved aside and replaced by a fresh file.
      this.current.close();
      this.current = null;
      this.open();
      return;
    }
    this.#writable = false;
    this.#report(diagnose(err, this.dataDir), 'notice outbox write failed; detections wait in memory until the disk recovers');
  }

  succeeded(): void {
    if (!this.#writable && this.current !== null) this.logger.info({ path: this.current.path }, 'notice outbox is writable');
    this.#writable = true;
  }

  counts(): ReturnType<Outbox['countsByState']> | null {
    try {
      return this.current?.db.open ? this.current.countsByState() : null;
    } catch {
      return null;
    }
  }

  housekeep(intervalMs: number): void {
    try {
      this.current?.trim(Date.now(), intervalMs);
      this.current?.recount();
    } catch (err) {
      this.failed(err);
    }
  }

  close(): void {
    clearTimeout(this.#reopen);
    this.current?.close();
  }
}
