import assert from 'node:assert/strict';
import { WormwatchError } from '../../src/errors.js';
import type { DetectionEvent } from '../../src/detect/detection.js';
import { defaultEngine } from '../../src/rules/index.js';
import { clientFieldOf, lineInput, runScan, type ScanRunOptions, type ScanSummary } from '../../src/scan/index.js';
import { cleanEnv, runCli } from '../cli/run-cli.js';
import { fixtureDir, type FixtureDir } from './fixtures.js';

const engine = defaultEngine();

/** nginx's own `main` format (nginx.conf as shipped), behind a load balancer in 10.0.0.0/16. */
const NGINX_MAIN = `log_format  main  '$remote_addr - $remote_user [$time_local] "$request" '
                  '$status $body_bytes_sent "$http_referer" '
                  '"$http_user_agent" "$http_x_forwarded_for"';`;
const LB = '10.0.0.0/16';

/** A worm request per line (Nimda's sweep, from the corpus), so each line's address shows in its detection. */
const NIMDA = [
  '/scripts/root.exe?/c+dir',
  '/MSADC/root.exe?/c+dir',
  '/c/winnt/system32/cmd.exe?/c+dir',
  '/d/winnt/system32/cmd.exe?/c+dir',
  '/scripts/..%255c../winnt/system32/cmd.exe?/c+dir',
  '/_vti_bin/..%255c../..%255c../..%255c../winnt/system32/cmd.exe?/c+dir',
  '/scripts/..%c1%1c../winnt/system32/cmd.exe?/c+dir',
];

function mainLine(peer: string, target: string, forwardedFor: string): string {
  return `${peer} - - [10/Dec/2024:00:12:36 +0700] "GET ${target} HTTP/1.0" 404 153 "-" "-" "${forwardedFor}"`;
}

/** The address each worm request was attributed to, by its target. */
async function clients(files: string[], options: Omit<ScanRunOptions, 'files'>): Promise<{ by: Map<string, string>; summary: ScanSummary }> {
  const events: DetectionEvent[] = [];
  const summary = await runScan({ files, ...options }, { engine: () => engine, onDetection: (e) => events.push(e) });
  return { by: new Map(events.map((e) => [e.requestLine.replace(/^GET /, ''), e.ip])), summary };
}

describe('wormwatch scan behind a CDN or load balancer (--client-ip-field)', () => {
  let fx: FixtureDir;
  beforeEach(() => {
    fx = fixtureDir();
  });
  afterEach(() => fx.remove());

  it('nginx main format: believes "$http_x_forwarded_for" only from trusted peers, right to left, ignoring spoofed and garbled entries', async () => {
    const file = fx.write('access.log', [
      mainLine('10.0.1.17', NIMDA[0]!, '203.0.113.7'),
      mainLine('10.0.1.17', NIMDA[1]!, '6.6.6.6, 198.51.100.23'),
      mainLine('10.0.1.17', NIMDA[2]!, '198.51.100.40, 10.0.2.33'),
      mainLine('192.0.2.99', NIMDA[3]!, '203.0.113.7'),
      mainLine('10.0.1.17', NIMDA[4]!, 'unknown'),
      mainLine('10.0.1.17', NIMDA[5]!, '-'),
      mainLine('10.0.1.17', NIMDA[6]!, '<script>alert(1)</script>, ::ffff:198.51.100.5'),
    ]);
    const { by, summary } = await clients([file], { format: 'auto', logFormat: NGINX_MAIN, clientField: clientFieldOf('X-Forwarded-For'), trustProxy: [LB] });
    assert.equal(summary.files[0]!.format, 'nginx');
    assert.deepEqual(NIMDA.map((t) => by.get(t)), [
      '203.0.113.7',
      '198.51.100.23', // the left-most entry is the client's own claim: only the hop the balancer appended counts
      '198.51.100.40', // two trusted hops skipped
      '192.0.2.99', // straight to the origin, past the balancer: its header is its own word
      '10.0.1.17', // not an address: the peer
      '10.0.1.17',
      '198.51.100.5', // the last entry is an address (IPv4-mapped, unwrapped); the garbage before it never counts
    ]);
  });

  it('Cloudflare: $http_cf_connecting_ip from Cloudflare\'s edge ranges, IPv6 clients included; a direct hit keeps its own address', async () => {
    const format = `log_format cloudflare '$remote_addr $http_cf_connecting_ip [$time_local] "$request" $status $body_bytes_sent "$http_user_agent" $http_cf_ray';`;
    const line = (peer: string, target: string, cf: string) => `${peer} ${cf} [10/Dec/2024:00:12:36 +0000] "GET ${target} HTTP/1.1" 404 162 "Mozilla/5.0" 8f0c5b6e3a1d2c4b-AMS`;
    const file = fx.write('cf.log', [
      line('172.70.142.12', NIMDA[0]!, '2001:DB8:85A3:0:0:8A2E:370:7334'),
      line('2400:cb00:2049::1', NIMDA[1]!, '203.0.113.50'),
      line('45.33.32.156', NIMDA[2]!, '1.1.1.1'),
      line('172.70.142.12', NIMDA[3]!, '-'),
    ]);
    const trustProxy = ['173.245.48.0/20', '103.21.244.0/22', '141.101.64.0/18', '172.64.0.0/13', '2400:cb00::/32'];
    const { by } = await clients([file], { format: 'auto', logFormat: format, clientField: clientFieldOf('CF-Connecting-IP'), trustProxy });
    assert.deepEqual(NIMDA.slice(0, 4).map((t) => by.get(t)), ['2001:db8:85a3::8a2e:370:7334', '203.0.113.50', '45.33.32.156', '172.70.142.12']);
  });

  it('IIS W3C: the cs(X-Forwarded-For) column (or a custom field of that name) behind an ELB, IIS\'s + for spaces undone', async () => {
    const row = (cip: string, stem: string, xff: string) => `2015-01-13 00:32:17 100.79.192.81 GET ${stem} /c+dir 80 - ${cip} - - 404 0 2 1405 242 283 ${xff}`;
    const fields = (last: string) => `#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status sc-bytes cs-bytes time-taken ${last}`;
    const stem = (t: string) => t.replace(/\?.*$/, '');
    const file = fx.write('u_ex150113_x.log', [
      '#Software: Microsoft Internet Information Services 8.5', '#Version: 1.0', fields('cs(X-Forwarded-For)'),
      row('10.0.3.8', stem(NIMDA[0]!), '203.0.113.9'),
      row('10.0.3.8', stem(NIMDA[1]!), '6.6.6.6,+198.51.100.3'),
      row('198.51.100.77', stem(NIMDA[2]!), '203.0.113.9'),
      fields('X-Forwarded-For'),
      row('10.0.3.8', stem(NIMDA[3]!), '203.0.113.10'),
    ]);
    const { by, summary } = await clients([file], { format: 'auto', clientField: clientFieldOf('X-Forwarded-For'), trustProxy: [LB] });
    assert.equal(summary.files[0]!.error, undefined);
    assert.deepEqual(NIMDA.slice(0, 4).map((t) => by.get(t)), ['203.0.113.9', '198.51.100.3', '198.51.100.77', '203.0.113.10']);
  });

  it('combined with --client-ip-field 4: the quoted column after the user agent, past unquoted ones', async () => {
    const line = (peer: string, target: string, tail: string) => `${peer} - - [10/Oct/2004:04:20:13 -0400] "GET ${target} HTTP/1.0" 404 288 "-" "Mozilla/4.0 (compatible; MSIE 5.5)" ${tail}`;
    const file = fx.write('access_log', [
      line('10.0.1.17', NIMDA[0]!, '"203.0.113.7"'),
      line('10.0.1.17', NIMDA[1]!, '0.004 "198.51.100.23" "ignored"'),
      line('10.0.1.17', NIMDA[2]!, ''),
      line('10.0.1.17', NIMDA[3]!, '"203.0.113.\\x227"'),
    ]);
    const { by, summary } = await clients([file], { format: 'auto', clientField: clientFieldOf(4), trustProxy: [LB] });
    assert.equal(summary.files[0]!.format, 'combined');
    assert.deepEqual(NIMDA.slice(0, 4).map((t) => by.get(t)), ['203.0.113.7', '198.51.100.23', '10.0.1.17', '10.0.1.17']);
  });

  it('stops a file whose format cannot hold the field, naming the fix, and still reads the others', async () => {
    const combined = fx.write('access_log', [mainLine('10.0.1.17', NIMDA[0]!, '203.0.113.7')]);
    const iis = fx.write('u_ex1.log', ['#Fields: date time c-ip cs-method cs-uri-stem sc-status', `2015-01-13 00:32:17 10.0.3.8 GET ${NIMDA[1]!.replace(/\?.*$/, '')} 404`]);
    const csv = fx.write('access.csv', ['"Host","Date Time","Method","URL","Response Code","X-Forwarded-For"', `"10.0.3.8","2018-04-08 06:49:13","GET","${NIMDA[2]}",404,"203.0.113.11"`]);
    const { by, summary } = await clients([combined, iis, csv], { format: 'auto', clientField: clientFieldOf('X-Forwarded-For'), trustProxy: [LB] });
    assert.match(summary.files[0]!.error ?? '', /combined and common lines have no named fields: give the quoted field's position instead \(4 for/);
    assert.match(summary.files[1]!.error ?? '', /the #Fields: line has no cs\(x-forwarded-for\) column: log that request header .* \(line 1\)$/);
    assert.equal(summary.files[2]!.error, undefined);
    assert.deepEqual([...by.values()], ['203.0.113.11'], 'only the CSV, whose column exists, was judged');
  });

  it('refuses, before reading anything, combinations that cannot work, each in one line naming the fix', () => {
    const refuses = (options: Parameters<typeof lineInput>[0], re: RegExp) => {
      assert.throws(() => lineInput(options), (err: unknown) => err instanceof WormwatchError && err.exitCode === 2 && re.test(err.message) && !err.message.includes('\n'));
    };
    const xff = clientFieldOf('X-Forwarded-For');
    refuses({ format: 'auto', clientField: xff }, /--client-ip-field X-Forwarded-For is believed only from a trusted peer: add --trust-proxy/);
    refuses({ format: 'combined', clientField: xff, trustProxy: [LB] }, /--client-ip-field X-Forwarded-For with --format combined: combined and common lines have no named fields/);
    refuses({ format: 'w3c', clientField: clientFieldOf(4), trustProxy: [LB] }, /--client-ip-field 4 with --format w3c: W3C logs name their columns/);
    refuses({ format: 'csv', clientField: clientFieldOf('$http_x_forwarded_for'), trustProxy: [LB] }, /is an nginx variable, which only --log-format has/);
    refuses({ format: 'auto', logFormat: NGINX_MAIN, clientField: clientFieldOf(4), trustProxy: [LB] }, /--client-ip-field 4: a --log-format names its fields/);
    refuses({ format: 'auto', logFormat: NGINX_MAIN, clientField: clientFieldOf('True-Client-IP'), trustProxy: [LB] }, /log_format has no \$http_true_client_ip \(its variables: /);
    refuses({ format: 'auto', logFormat: "log_format main '$remote_addr' oops;" }, /^invalid --log-format: log_format: unexpected text/);
    refuses({ format: 'w3c', logFormat: NGINX_MAIN }, /--log-format is the format of every file: drop --format w3c/);
    assert.ok(lineInput({ format: 'auto', logFormat: NGINX_MAIN, clientField: clientFieldOf('$http_x_forwarded_for'), trustProxy: [LB] }).fixed);
  });
});

describe('wormwatch scan --log-format --client-ip-field: the command', () => {
  let fx: FixtureDir;
  before(() => {
    fx = fixtureDir();
  });
  after(() => fx.remove());

  it('names the clients behind the balancer as offenders in --json, the format from WORMWATCH_LOG_FORMAT', async function () {
    this.timeout(60_000); // a child Node process with tsx takes seconds to start on two busy cores
    const file = fx.write('access.log', [
      mainLine('10.0.1.17', NIMDA[0]!, '203.0.113.7'),
      mainLine('10.0.1.17', NIMDA[1]!, '6.6.6.6, 198.51.100.23'),
      mainLine('10.0.1.18', NIMDA[2]!, '203.0.113.7'),
      mainLine('192.0.2.99', NIMDA[3]!, '6.6.6.6'),
    ]);
    const args = ['scan', '--json', '--notify', 'off', '--data-dir', fx.dir, '--client-ip-field', 'X-Forwarded-For', '--trust-proxy', LB, file];
    const result = await runCli(args, cleanEnv({ WORMWATCH_LOG_FORMAT: NGINX_MAIN }));
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as ScanSummary;
    assert.deepEqual(summary.topOffenders.map((o) => [o.ip, o.detections]), [['203.0.113.7', 2], ['198.51.100.23', 1], ['192.0.2.99', 1]]);
    assert.deepEqual(summary.files.map((f) => [f.format, f.records, f.unparsable]), [['nginx', 4, 0]]);
  });

  it('exits 2 with one line for a bad --log-format and for a --trust-proxy that trusts everyone, unless --trust-all-proxies', async function () {
    this.timeout(60_000);
    const file = fx.write('one.log', [mainLine('10.0.1.17', NIMDA[0]!, '203.0.113.7')]);
    const base = ['scan', '--json', '--notify', 'off', '--data-dir', fx.dir, '--log-format', NGINX_MAIN, '--client-ip-field', 'X-Forwarded-For'];
    const [badFormat, everyone, allowed] = await Promise.all([
      runCli(['scan', '--notify', 'off', '--data-dir', fx.dir, '--log-format', '"$remote_addr" "$request', file]),
      runCli([...base, '--trust-proxy', '0.0.0.0/0', file]),
      runCli([...base, '--trust-proxy', '0.0.0.0/0', '--trust-all-proxies', file]),
    ]);
    assert.equal(badFormat.code, 2);
    assert.match(badFormat.stderr, /^wormwatch: invalid --log-format: log_format: unexpected text after the quoted strings: "\$request\n$/);
    assert.equal(everyone.code, 2);
    assert.match(everyone.stderr, /--trust-proxy 0\.0\.0\.0\/0 trusts every IPv4 address.*--trust-all-proxies/);
    assert.equal(everyone.stderr.trim().split('\n').length, 1);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.deepEqual((JSON.parse(allowed.stdout) as ScanSummary).topOffenders.map((o) => o.ip), ['203.0.113.7']);
  });
});
