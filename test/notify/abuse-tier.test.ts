import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { builtinCatalogue } from '../../src/rules/index.js';
import type { DetectionEvent } from '../../src/detect/detection.js';
import { Outbox } from '../../src/notify/outbox.js';
import { runCli } from '../cli/run-cli.js';
import { HOSTS, isDigest, MAILBOX, metricValue, partsOf, useAbuseWorld } from './abuse-support.js';
import { noticeOptions, waitFor, type ReceivedMail } from './support.js';
import { xarfValidator } from './xarf-schema.js';
import { fixture, loopbackBootstrap } from '../rdap/support.js';

// Every address here is DATA: RDAP, DNS and SMTP are servers on 127.0.0.1 (--rdap-url, --dns-server, --smtp-url).
const { ajv, validate } = xarfValidator();

function hit(ip: string, signatureId: string, requestLine: string, at = new Date()): DetectionEvent {
  const signature = builtinCatalogue().find((s) => s.id === signatureId)!;
  return { ip, at, action: 'forwarded', requestLine, verdict: { signature, stage: signature.stage, evidence: requestLine } };
}
const CODERED = 'GET /default.ida?NNNNNNNN%u9090 HTTP/1.0';
const titleOf = (id: string) => builtinCatalogue().find((s) => s.id === id)!.title;
/** Where a digest's body lists a host: its own line, two spaces in. */
const listings = (text: string, ip: string) => text.split('\n').filter((l) => l === `  ${ip}` || l.startsWith(`  ${ip} (`)).length;

describe('the abuse tier: one digest per abuse mailbox, found with RDAP (loopback RDAP, DNS and SMTP)', function () {
  this.timeout(60_000);
  const w = useAbuseWorld({ abuseDigestInterval: '500ms', allow: '8.8.4.4/32' });
  const digests = () => w.digests();
  const digestTo = (mailbox: string): ReceivedMail | undefined => digests().find((m) => m.to.includes(mailbox));
  const start = (flags: Record<string, unknown> = {}, offenders?: Parameters<typeof w.start>[1]) => w.start(flags, offenders);

  it('sends one digest per abuse mailbox (top-level, nested, referred by link and by 302) listing each host once, and none for a 404', async () => {
    await start();
    const t0 = Date.now();
    w.notifier!.notify(hit(HOSTS.ripe, 'codered-ii', CODERED, new Date(t0 - 2000)));
    w.notifier!.notify(hit(HOSTS.ripe, 'probe-dotenv', 'GET /.env\x1b[31m HTTP/1.1', new Date(t0 - 1000)));
    w.notifier!.notify(hit(HOSTS.ripeToo, 'codered-ii', CODERED));
    for (const ip of [HOSTS.arin, HOSTS.afrinic, HOSTS.apnic, HOSTS.lacnic, HOSTS.unknown]) w.notifier!.notify(hit(ip, 'codered-ii', CODERED));
    // Never listed: private, documentation and --allow addresses.
    for (const ip of ['10.1.2.3', '192.0.2.44', '8.8.4.4']) w.notifier!.notify(hit(ip, 'codered-ii', CODERED));

    await waitFor(() => digests().length >= 5, 20_000, 'five digests');
    await new Promise((r) => setTimeout(r, 700)); // one more interval: nothing else may come
    assert.deepEqual(digests().map((m) => m.to.join(',')).sort(), ['abuse@isp-za.example', 'abuse@ripe-ncc.example', 'helpdesk@apnic-labs.example', 'network-abuse@google.example', 'operacion.redes@telecom-mx.example']);

    const ripe = partsOf(digestTo(MAILBOX.ripe)!);
    const text = ripe[0]!.body;
    assert.match(text, /HOSTS \(2\)/);
    assert.equal(listings(text, HOSTS.ripe), 1, 'listed once although it probed twice');
    assert.equal(listings(text, HOSTS.ripeToo), 1);
    assert.match(text, /Requests: {3}2\n/);
    assert.ok(text.includes(`${titleOf('codered-ii')} (codered-ii); ${titleOf('probe-dotenv')} (probe-dotenv)`), text);
    assert.match(text, new RegExp(`First seen: ${new Date(t0 - 2000).toISOString().slice(0, 19).replace('T', ' ')} UTC`));
    assert.ok(!text.includes('\x1b'), 'the escape byte an offender sent is not in the mail');
    assert.equal(digestTo(MAILBOX.ripe)!.headers.get('x-arf'), undefined, 'a digest of two hosts is no X-ARF report about one');
    assert.equal(ripe[1]!.headers.get('content-disposition')?.includes('evidence.log'), true);
    assert.equal(ripe[1]!.body.trimEnd().split('\n').length, 3, 'every sample line of both hosts, in CLF');

    for (const m of digests()) for (const ip of ['10.1.2.3', '192.0.2.44', '8.8.4.4', HOSTS.unknown]) assert.ok(!m.raw.includes(ip), `${ip} in the digest to ${m.to.join(',')}`);
    assert.equal(w.rdap.requests.filter((r) => /10\.1\.2\.3|192\.0\.2\.44|8\.8\.4\.4/.test(r.path)).length, 0, 'no lookup for an address no tier mails about');
    assert.equal(w.rdap.hits(`/rdap/ip/${HOSTS.ripeToo}`), 0, 'an address inside a cached network is answered from the cache');

    assert.equal(await metricValue(w.metrics.registry, 'wormwatch_rdap_lookups_total', { result: 'found' }), 5);
    assert.equal(await metricValue(w.metrics.registry, 'wormwatch_rdap_lookups_total', { result: 'cached' }), 1);
    assert.equal(await metricValue(w.metrics.registry, 'wormwatch_rdap_lookups_total', { result: 'none' }), 1);
    assert.equal(await metricValue(w.metrics.registry, 'wormwatch_rdap_cache_entries'), 6, 'five networks and the negative answer');
    assert.equal(await metricValue(w.metrics.registry, 'wormwatch_notices_dropped_total', { reason: 'no-abuse-contact' }), 1);
  });

  it('makes a one-host digest an X-ARF report whose report.txt validates against the x-arf.org field list', async () => {
    await start();
    w.notifier!.notify(hit(HOSTS.arin, 'codered-ii', CODERED));
    const mail = await waitFor(() => digestTo(MAILBOX.arin), 20_000, 'the ARIN digest');
    assert.equal(mail.headers.get('x-arf'), 'YES');
    assert.match(mail.headers.get('content-type') ?? '', /multipart\/mixed/);
    const [human, report, evidence] = partsOf(mail);
    assert.match(human!.body, /the machine listed sent requests/i);
    const fields = YAML.parse(report!.body, { version: '1.1' }) as Record<string, unknown>;
    assert.ok(validate(fields), ajv.errorsText(validate.errors));
    assert.equal(fields.Source, HOSTS.arin);
    assert.equal(fields['Report-Type'], 'malware-attack');
    assert.equal(fields['Reported-From'], 'security@example.net');
    assert.match(evidence!.body.trimEnd(), new RegExp(`^${HOSTS.arin.replace(/\./g, '\\.')} - - \\[\\d{2}/\\w{3}/\\d{4}:\\d{2}:\\d{2}:\\d{2} \\+0000\\] "GET /default\\.ida\\?NNNNNNNN%u9090 HTTP/1\\.0" - -$`));
  });

  it('sends both tiers by default (--notice-tiers host,abuse): the host notice names the machine with its network', async () => {
    assert.deepEqual(noticeOptions({}).noticeTiers, ['host', 'abuse']);
    const network = { asn: 15169, asOrg: 'Google LLC', country: 'US' };
    await start({}, { setHostname: () => undefined, get: (ip) => (ip === HOSTS.arin ? network : undefined) });
    w.notifier!.notify(hit(HOSTS.arin, 'codered-ii', CODERED));
    const host = await waitFor(() => w.smtp.received.find((m) => !isDigest(m)), 20_000, 'the host-tier notice');
    assert.ok(host.to.length > 0 && host.to.every((a) => a.includes(HOSTS.arin)), `the 2001 recipients at the address: ${host.to.join(',')}`);
    assert.match(host.body.replace(/\r?\n/g, ' '), /the machine at 8\.8\.8\.8 \(AS15169, Google LLC, US\)/);
    await waitFor(() => digestTo(MAILBOX.arin), 20_000, 'the digest');
  });

  it('with --notice-tiers host asks no registry; with --notice-tiers abuse sends no host notice', async () => {
    await start({ noticeTiers: 'host' });
    w.notifier!.notify(hit(HOSTS.afrinic, 'codered-ii', CODERED));
    await waitFor(() => w.smtp.received.length > 0, 20_000, 'the host notice');
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(w.rdap.requests.length, 0);
    assert.equal(digests().length, 0);
    await w.notifier!.stop();
    w.smtp.received.length = 0;
    await start({ noticeTiers: 'abuse' });
    w.notifier!.notify(hit(HOSTS.lacnic, 'codered-ii', CODERED));
    await waitFor(() => digestTo(MAILBOX.lacnic), 20_000, 'the digest');
    assert.equal(w.smtp.received.filter((m) => !isDigest(m)).length, 0);
  });

  it('with --rdap-bootstrap (no --rdap-url) asks the registry the bootstrap names for the address', async () => {
    const bootstrap = join(w.dir.path, 'bootstrap.json');
    writeFileSync(bootstrap, JSON.stringify(loopbackBootstrap(w.rdap.origin)));
    w.rdap.route(`/ripe/ip/${HOSTS.ripe}`, { body: fixture('ripe-ip.json') });
    await start({ rdapUrl: undefined, rdapBootstrap: bootstrap });
    w.notifier!.notify(hit(HOSTS.ripe, 'codered-ii', CODERED));
    await waitFor(() => digestTo(MAILBOX.ripe), 20_000, 'the digest');
    assert.deepEqual(w.rdap.requests.map((r) => r.path), [`/ripe/ip/${HOSTS.ripe}`]);
  });

  it('notices show prints a digest\'s decoded text and lists its other parts', async () => {
    await start();
    w.notifier!.notify(hit(HOSTS.ripe, 'codered-ii', CODERED));
    w.notifier!.notify(hit(HOSTS.arin, 'codered-ii', 'GET /default.ida?' + 'N'.repeat(120) + ' HTTP/1.0'));
    await waitFor(() => digests().length === 2, 20_000, 'two digests');
    const box = new Outbox(w.dir.path);
    const ids = box.list({ kind: 'abuse', limit: 5 }).map((r) => [r.id, r.recipient] as const);
    const hostRows = box.list({ kind: 'offender', limit: 5 }).map((r) => [r.id, r.ip] as const);
    box.close();
    const arinId = ids.find(([, to]) => to === MAILBOX.arin)![0];
    // The server's own settings, as its operator keeps them in a file: the digest shows as it was sent.
    const config = join(w.dir.path, 'wormwatch.json');
    writeFileSync(config, JSON.stringify({ noticeFrom: 'Example Hosting <security@example.net>', abuseDigestInterval: '500ms' }));
    const shown = await runCli(['notices', 'show', String(arinId), '--data-dir', w.dir.path, '--config', config]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^To: network-abuse@google\.example$/m);
    assert.match(shown.stdout, /^X-ARF: YES$/m);
    assert.ok(shown.stdout.includes(`GET /default.ida?${'N'.repeat(120)} HTTP/1.0`), 'the long request line whole, not quoted-printable');
    assert.doesNotMatch(shown.stdout, /=\n|=3D/);
    assert.match(shown.stdout, /Parts \(3, multipart\/mixed\):\n {2}1\. text\/plain \(above\)\n {2}2\. report\.txt: text\/plain; charset=utf-8, \d+ lines, \d+ bytes\n {2}3\. logfile\.log: /);
    assert.match(shown.stderr, /\(abuse digest\): sent/);
    const hostId = hostRows.find(([, ip]) => ip === HOSTS.arin)![0];
    const host = await runCli(['notices', 'show', String(hostId), '--data-dir', w.dir.path, '--config', config]);
    assert.match(host.stdout, /this is an automatic notice about the machine at 8\.8\.8\.8/);
    assert.match(host.stdout, /\nParts: text\/plain \(above\)\n$/);
  });
});
