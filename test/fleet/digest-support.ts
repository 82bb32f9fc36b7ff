// Replicas of the abuse tier for the fleet-digest tests: in-process notifiers, each with its own
// outbox and its own Redis link, sharing one redis-server, one loopback RDAP, DNS and SMTP server.
import type { Registry } from 'prom-client';
import { FleetDigests } from '../../src/fleet/digests.js';
import { RedisLink } from '../../src/fleet/redis-link.js';
import { createLogger } from '../../src/log.js';
import { createFleetMetrics, createMetrics } from '../../src/metrics.js';
import { createNotifier, type Notifier } from '../../src/notify/index.js';
import { builtinCatalogue } from '../../src/rules/index.js';
import type { DetectionEvent } from '../../src/detect/detection.js';
import { assertNoticesStayLocal } from '../helpers/notice-guard.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import type { TestRdapServer } from '../helpers/rdap-server.js';
import { isDigest, metricValue, startRegistries } from '../notify/abuse-support.js';
import { noticeOptions, startDns, startSmtp, tempDir, waitFor, type ReceivedMail, type TestDns, type TestSmtp } from '../notify/support.js';

export interface DigestReplica {
  name: string;
  notifier: Notifier;
  registry: Registry;
  link: RedisLink;
  digests: FleetDigests;
  dir: ReturnType<typeof tempDir>;
}

export interface DigestFleet {
  redis: TestRedis;
  rdap: TestRdapServer;
  smtp: TestSmtp;
  replicas: DigestReplica[];
  /** Starts `names.length` replicas, each up on Redis; `flags` as the CLI takes them. */
  start(names: string[], flags?: Record<string, unknown>): Promise<DigestReplica[]>;
  digests(): ReceivedMail[];
  /** A metric summed over every replica. */
  sum(name: string, labels?: Record<string, string>): Promise<number>;
}

export function hit(ip: string, signatureId: string, requestLine: string, at = new Date()): DetectionEvent {
  const signature = builtinCatalogue().find((s) => s.id === signatureId)!;
  return { ip, at, action: 'forwarded', requestLine, verdict: { signature, stage: signature.stage, evidence: requestLine } };
}

/** Waits for the start of the next digest window (plus a little), so that a test's hits all fall in one window. */
export async function nextWindow(intervalMs: number): Promise<void> {
  const wait = intervalMs - (Date.now() % intervalMs) + 30;
  await new Promise((r) => setTimeout(r, wait));
}

/** Mocha hooks around each test: the servers, and the replicas a test starts. */
export function useDigestFleet(defaults: Record<string, unknown>): DigestFleet {
  let rdapUrl = '';
  let dns: TestDns;
  const fleet = { replicas: [] as DigestReplica[] } as DigestFleet;
  fleet.start = async (names, flags = {}) => {
    const started = await Promise.all(names.map(async (name) => {
      const dir = tempDir();
      const options = noticeOptions({
        notify: 'smtp', smtpUrl: fleet.smtp.url, smtpRateLimit: 1000, dnsServer: dns.server, dnsTimeout: '300ms', rdapUrl, dataDir: dir.path,
        noticeFrom: 'Example Hosting <security@example.net>', noticeTiers: 'abuse', redisUrl: fleet.redis.url, replicaName: name, ...defaults, ...flags,
      });
      assertNoticesStayLocal(options);
      const metrics = createMetrics('test');
      const fleetMetrics = createFleetMetrics(metrics.registry);
      const logger = createLogger('silent');
      const link = new RedisLink({ url: new URL(fleet.redis.url), commandTimeoutMs: options.redisTimeout, prefix: 'ww' }, fleetMetrics, logger);
      link.start();
      const digests = new FleetDigests(link, { replica: name, intervalMs: options.abuseDigestInterval, maxPerHour: options.noticeMaxPerHour, maxPerDomainPerHour: options.noticeMaxPerDomainPerHour }, fleetMetrics);
      const notifier = createNotifier(options, { metrics: metrics.notices, logger, digests });
      await notifier.start();
      await waitFor(() => link.up, 5000, `${name} up on Redis`);
      return { name, notifier, registry: metrics.registry, link, digests, dir };
    }));
    fleet.replicas.push(...started);
    return started;
  };
  fleet.digests = () => fleet.smtp.received.filter(isDigest);
  fleet.sum = async (name, labels = {}) => (await Promise.all(fleet.replicas.map((r) => metricValue(r.registry, name, labels)))).reduce((a, b) => a + b, 0);
  beforeEach(async () => {
    fleet.replicas = [];
    [fleet.redis, { server: fleet.rdap, rdapUrl }, dns, fleet.smtp] = await Promise.all([startRedis(), startRegistries(), startDns({}), startSmtp('accept')]);
  });
  afterEach(async () => {
    for (const r of fleet.replicas) {
      await r.notifier.stop();
      await r.link.stop();
      r.dir.remove();
    }
    await Promise.all([fleet.rdap.close(), dns.close(), fleet.smtp.close(), fleet.redis.stop()]);
  });
  return fleet;
}
