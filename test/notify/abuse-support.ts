// Plumbing for the abuse-tier tests: a loopback RDAP server answering in the shapes of five
// registries (test/rdap/fixtures), reached through --rdap-url, and the MIME parts of a mail.
import type { Registry } from 'prom-client';
import { startRdapServer, type TestRdapServer } from '../helpers/rdap-server.js';
import { fixture } from '../rdap/support.js';
import type { Notifier } from '../../src/notify/index.js';
import { noticeOptions, startDns, startNotifier, startSmtp, tempDir, type ReceivedMail, type TestDns, type TestSmtp } from './support.js';

/** Offender addresses (DATA only: every lookup goes to 127.0.0.1) and the abuse mailbox each leads to. */
export const HOSTS = {
  /** RIPE NCC: the abuse entity at the top level; .140 is in the same network (a cache hit). */
  ripe: '193.0.6.139',
  ripeToo: '193.0.6.140',
  /** ARIN: the abuse POC nested under the registrant. */
  arin: '8.8.8.8',
  /** AFRINIC: entities without roles, a `mailto:` value. */
  afrinic: '41.1.2.3',
  /** ARIN answers with a `links` rel=related referral to APNIC, whose IRT sits under the registrant. */
  apnic: '1.1.1.1',
  /** A 302 to LACNIC (one entity with combined roles). */
  lacnic: '200.57.141.161',
  /** 404: no contact. */
  unknown: '45.33.32.9',
} as const;

export const MAILBOX = {
  ripe: 'abuse@ripe-ncc.example',
  arin: 'network-abuse@google.example',
  afrinic: 'abuse@isp-za.example',
  lacnic: 'operacion.redes@telecom-mx.example',
} as const;

/** The loopback RDAP server: `--rdap-url <url>rdap/` reaches every registry shape through one base. */
export async function startRegistries(): Promise<{ server: TestRdapServer; rdapUrl: string }> {
  const server = await startRdapServer();
  const at = (ip: string, body: unknown) => server.route(`/rdap/ip/${ip}`, { body });
  at(HOSTS.ripe, fixture('ripe-ip.json'));
  at(HOSTS.ripeToo, fixture('ripe-ip.json'));
  at(HOSTS.arin, fixture('arin-ip.json'));
  at(HOSTS.afrinic, fixture('afrinic-ip.json'));
  at(HOSTS.apnic, fixture('arin-referral-to-apnic.json', server.origin));
  server.route(`/apnic/ip/${HOSTS.apnic}`, { body: fixture('apnic-ip.json') });
  server.route(`/rdap/ip/${HOSTS.lacnic}`, { status: 302, location: `/lacnic/ip/${HOSTS.lacnic}` });
  server.route(`/lacnic/ip/${HOSTS.lacnic}`, { body: fixture('lacnic-ip.json') });
  // HOSTS.unknown is not routed: the server answers 404 with an RFC 9083 error object.
  return { server, rdapUrl: `${server.origin}/rdap/` };
}

export interface MimePart {
  headers: Map<string, string>;
  body: string;
}

/** The parts of a multipart mail (one part, the body itself, when it is not multipart). */
export function partsOf(mail: ReceivedMail): MimePart[] {
  const boundary = /boundary="?([^";]+)"?/i.exec(mail.headers.get('content-type') ?? '')?.[1];
  if (boundary === undefined) return [{ headers: mail.headers, body: mail.body }];
  return mail.body.split(`--${boundary}`).slice(1, -1).map((chunk) => {
    const [head = '', ...rest] = chunk.replace(/^\r\n/, '').split('\r\n\r\n');
    const headers = new Map<string, string>();
    for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
      const i = line.indexOf(':');
      if (i > 0) headers.set(line.slice(0, i).toLowerCase(), line.slice(i + 1).trim());
    }
    let body = rest.join('\r\n\r\n').replace(/\r\n$/, '');
    if (/quoted-printable/i.test(headers.get('content-transfer-encoding') ?? '')) {
      body = Buffer.from(body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
    }
    return { headers, body: body.replace(/\r\n/g, '\n') };
  });
}

export const isDigest = (m: ReceivedMail): boolean => m.headers.get('x-wormwatch-kind') === 'abuse';

/** One sample of a counter or gauge, by labels (0 when absent). */
export async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const values = (await registry.getSingleMetric(name)!.get()).values;
  return values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value ?? 0;
}

/** The loopback servers, a data dir and the notifier of one abuse-tier test, made and stopped around each test. */
export interface AbuseWorld {
  rdap: TestRdapServer;
  dns: TestDns;
  smtp: TestSmtp;
  dir: ReturnType<typeof tempDir>;
  notifier: Notifier | undefined;
  metrics: ReturnType<typeof startNotifier>['metrics'];
  /** Starts the notifier in smtp mode with every lookup on loopback; `flags` as the CLI takes them. */
  start(flags?: Record<string, unknown>, offenders?: Parameters<typeof startNotifier>[1]): Promise<Notifier>;
  digests(): ReceivedMail[];
}

export function useAbuseWorld(defaults: Record<string, unknown>): AbuseWorld {
  let rdapUrl = '';
  const world = { notifier: undefined } as AbuseWorld;
  world.start = async (flags = {}, offenders) => {
    const options = noticeOptions({
      notify: 'smtp', smtpUrl: world.smtp.url, smtpRateLimit: 1000, dnsServer: world.dns.server, dnsTimeout: '300ms', rdapUrl, dataDir: world.dir.path,
      noticeFrom: 'Example Hosting <security@example.net>', ...defaults, ...flags,
    });
    const started = startNotifier(options, offenders);
    world.notifier = started.notifier;
    world.metrics = started.metrics;
    await started.notifier.start();
    return started.notifier;
  };
  world.digests = () => world.smtp.received.filter(isDigest);
  beforeEach(async () => {
    ({ server: world.rdap, rdapUrl } = await startRegistries());
    world.dns = await startDns({});
    world.smtp = await startSmtp('accept');
    world.dir = tempDir();
  });
  afterEach(async () => {
    await world.notifier?.stop();
    world.notifier = undefined;
    await Promise.all([world.rdap.close(), world.dns.close(), world.smtp.close()]);
    world.dir.remove();
  });
  return world;
}
