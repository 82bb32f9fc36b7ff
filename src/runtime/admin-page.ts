import type { PageData, PageNotices } from '../admin/page-data.js';
import { Timeline } from '../admin/timeline.js';
import { FOREVER, type Bans } from '../bans/index.js';
import type { Options } from '../config/options.js';
import type { Engine } from '../detect/types.js';
import type { Metrics } from '../metrics.js';
import type { OffenderStore } from '../offenders/store.js';
import { VERSION } from '../version.js';

/** The requests counter is sampled this often for the chart (it is the only cost the page adds). */
const SAMPLE_MS = 30_000;

export interface AdminPageSources {
  options: Pick<Options, 'mode' | 'upstream' | 'intake' | 'mirror'>;
  engine: () => Engine;
  offenders: OffenderStore;
  bans: Bans;
  metrics: Metrics;
  /** The notice queue, from the notifier, or null when notices are off. */
  notices?: () => PageNotices | null;
}

/**
 * The admin page's data, from the running parts; `timeline` must hear every detection (the hub's
 * `subscribe`) and is sampled for requests every SAMPLE_MS. `stop()` ends the sampling.
 */
export function adminPageData(src: AdminPageSources): { data: PageData; timeline: Timeline; stop(): void } {
  const timeline = new Timeline();
  const startedAt = new Date();
  const sample = async (): Promise<void> => {
    // The registry's text adds up every --workers process, which its own counter alone would not.
    const text = await src.metrics.registry.metrics();
    let total = 0;
    for (const m of text.matchAll(/^wormwatch_requests_total\{[^}]*\} (\d+(?:\.\d+)?(?:e\+\d+)?)$/gm)) total += Number(m[1]);
    timeline.sampleRequests(total, Date.now());
  };
  const timer = setInterval(() => void sample().catch(() => undefined), SAMPLE_MS);
  timer.unref();
  void sample().catch(() => undefined);
  const data: PageData = {
    summary: () => ({
      version: VERSION,
      mode: src.options.intake ? `${src.options.mode}, intake` : src.options.mirror ? `${src.options.mode}, mirror` : src.options.mode,
      upstream: src.options.upstream?.origin ?? '(none)',
      signatures: src.engine().signatures.length,
      bans: src.bans.enabled,
      startedAt,
    }),
    offenders: (limit) => src.offenders.list(limit).map((o) => ({
      ...o, network: o.asn === null ? null : `AS${o.asn}${o.asOrg ? ` ${o.asOrg}` : ''}`, bannedForMs: src.bans.remaining(o.ip),
    })),
    bans: (limit) => src.bans.list('address', limit).map((b) => ({
      ip: b.key, until: b.until === FOREVER ? null : new Date(b.until), reason: b.reason, signature: b.signature, count: b.count,
    })),
    exposures: () => src.bans.exposures.list(),
    blockedPaths: () => src.bans.list('path', 1000).map((b) => b.key.slice('path:'.length)),
    notices: () => src.notices?.() ?? null,
    timeline: () => timeline.view(Date.now()),
    unban: (ip) => src.bans.unban(ip) !== undefined,
  };
  return { data, timeline, stop: () => clearInterval(timer) };
}
