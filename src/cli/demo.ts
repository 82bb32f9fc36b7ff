import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Wormwatch } from '../runtime/serve.js';
import { loadOptions } from '../config/load.js';
import type { DetectionEvent } from '../detect/detection.js';
import type { Offender } from '../offenders/store.js';
import { DEMO_NETWORKS, DEMO_NOTICE_RANGES, noticesReady, noticesSection, startDemoDns, startDemoRdap } from './demo-notices.js';

/**
 * `wormwatch demo`: a built-in origin, the real wormwatch in front of it, real 2001 worm requests
 * sent as raw bytes over TCP. Sources are spoofed by design: wormwatch trusts 127.0.0.1 as a
 * proxy, so each request's X-Forwarded-For (a documentation address) becomes its client address.
 * Then it shows the notices both tiers would send (outbox mode, in a temporary directory).
 */
export function register(program: Command): void {
  program
    .command('demo')
    .description('Start a demo origin and wormwatch in front of it on loopback, replay real CodeRed and Nimda requests, show what was caught and the notices it would send.')
    .option('--mode <mode>', 'monitor or block', 'monitor')
    .option('--keep', 'stay up after the replay so you can explore the admin server (Ctrl-C stops)')
    .option('--log-level <level>', 'show wormwatch\'s own JSON log lines on stderr at this level', 'silent')
    .action(async (o: { mode: string; keep?: boolean; logLevel: string }) => {
      process.exitCode = await runDemo(o);
    });
}

interface Probe {
  from: string;
  line: string;
}

const X224 = 'X'.repeat(224);
const N224 = 'N'.repeat(224);
const CODERED_TAIL =
  '%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801%u9090%u9090%u8190%u00c3%u0003%u8b00%u531b%u53ff%u0078%u0000%u00=a';

/** Worm request lines as logged in 2001 (CERT CA-2001-19, CA-2001-26), then look-alikes that are not worms. */
export const DEMO_PROBES: readonly Probe[] = [
  { from: '198.51.100.7', line: `GET /default.ida?${X224}${CODERED_TAIL} HTTP/1.0` },
  { from: '198.51.100.23', line: `GET /default.ida?${N224}${CODERED_TAIL} HTTP/1.0` },
  { from: '203.0.113.5', line: 'GET /scripts/root.exe?/c+dir HTTP/1.0' },
  { from: '203.0.113.5', line: 'GET /MSADC/root.exe?/c+dir HTTP/1.0' },
  { from: '203.0.113.5', line: 'GET /c/winnt/system32/cmd.exe?/c+dir HTTP/1.0' },
  { from: '203.0.113.5', line: 'GET /_vti_bin/..%255c../..%255c../..%255c../winnt/system32/cmd.exe?/c+dir HTTP/1.0' },
  { from: '203.0.113.66', line: 'GET /scripts/..%c1%1c../winnt/system32/cmd.exe?/c+dir HTTP/1.0' },
  { from: '192.0.2.10', line: 'GET / HTTP/1.1' },
  { from: '192.0.2.10', line: 'GET /about.html HTTP/1.1' },
  { from: '192.0.2.11', line: 'GET /MSOffice/cltreq.asp?UL=1&ACT=4&BUILD=2614&STRMVER=4&CAPREQ=0 HTTP/1.1' },
  { from: '192.0.2.12', line: 'GET /search?q=default.ida HTTP/1.1' },
];

async function runDemo(o: { mode: string; keep?: boolean; logLevel: string }): Promise<number> {
  // Loaded here, not at the top, so that other commands start without the whole proxy.
  const [{ startWormwatch }, { stormExtension, notifyExtension }, { createLogger }, { default: pino }] = await Promise.all([
    import('../runtime/serve.js'), import('../runtime/extensions/index.js'), import('../log.js'), import('pino'),
  ]);
  const origin = await startDemoOrigin();
  // The notices go to an outbox in a temporary directory; RDAP and DNS are answered on loopback.
  const [rdap, dns] = await Promise.all([startDemoRdap(), startDemoDns()]);
  const dataDir = mkdtempSync(join(tmpdir(), 'wormwatch-demo-'));
  const detections: DetectionEvent[] = [];
  const options = loadOptions({
    // The user's WORMWATCH_* variables are for `serve`; the demo is the same everywhere.
    env: {},
    flags: {
      upstream: `http://127.0.0.1:${origin.port}`,
      listen: '127.0.0.1:0',
      adminListen: '127.0.0.1:0',
      trustProxy: '127.0.0.1/32',
      mode: o.mode,
      shutdownGrace: '2s',
      logLevel: o.logLevel,
      dataDir,
      notify: 'outbox',
      noticeAllowPrivate: DEMO_NOTICE_RANGES,
      noticeFrom: 'Demo Hosting <security@demo-hosting.example>',
      abuseDigestInterval: '1s',
      rdapUrl: rdap.url,
      dnsServer: dns.url,
      dnsTimeout: '1s',
    },
  });
  const app = await startWormwatch(options, {
    logger: createLogger(options.logLevel, pino.destination({ dest: 2, sync: true })),
    extensions: [notifyExtension, stormExtension, { name: 'demo', onDetection: (e) => detections.push(e) }],
  });
  const cleanUp = async (): Promise<void> => {
    await app.stop(0);
    origin.server.close();
    await Promise.all([rdap.close(), dns.close()]);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const results: ProbeResult[] = [];
    for (const probe of DEMO_PROBES) {
      const before = detections.length;
      const status = await sendRaw(app.proxyAddress.port, probe);
      // Both stages report before the response is complete, so these are this probe's detections.
      results.push({ probe, status, detections: detections.slice(before) });
    }
    const admin = `http://127.0.0.1:${app.adminAddress.port}`;
    const offenders = ((await (await fetch(`${admin}/offenders`)).json()) as { offenders: Offender[] }).offenders;
    const metricsText = await (await fetch(`${admin}/metrics`)).text();
    printReport(o.mode, app, results, detections, offenders, metricsText, origin.port);
    await noticesReady(dataDir, DEMO_NETWORKS.length, 15_000);
    process.stdout.write(`\n${noticesSection(dataDir, options).join('\n')}\n\n${NEXT_STEPS}`);
    if (o.keep) return await waitForSignal(app, cleanUp);
    return detections.length > 0 ? 0 : 1;
  } finally {
    if (!o.keep) await cleanUp();
  }
}

/** What to do after the demo: the three steps that make it real. */
const NEXT_STEPS = `Next steps:
  1. Run it in front of your own server:  wormwatch serve --upstream http://127.0.0.1:8000 --listen :80
     (move the server to 127.0.0.1:8000 first; --mode block refuses what it detects)
  2. Open the admin page:                 http://127.0.0.1:9090/ (wormwatch serve's --admin-listen)
  3. Point Prometheus at /metrics:        scrape http://127.0.0.1:9090/metrics (deploy/prometheus/ has rules and alerts)
`;

interface ProbeResult {
  probe: Probe;
  status: string;
  detections: DetectionEvent[];
}

function printReport(mode: string, app: Wormwatch, results: ProbeResult[], detections: DetectionEvent[], offenders: Offender[], metricsText: string, originPort: number): void {
  const out = (s = ''): void => void process.stdout.write(`${s}\n`);
  out(`wormwatch demo: origin on 127.0.0.1:${originPort}, wormwatch (${mode} mode) on 127.0.0.1:${app.proxyAddress.port}`);
  out('');
  out(`Requests replayed (${DEMO_PROBES.length}, sent as raw bytes; source = X-Forwarded-For from a trusted 127.0.0.1):`);
  out(table(['FROM', 'STATUS', 'DETECTED', 'REQUEST'], results.map((r) => [
    r.probe.from, r.status, r.detections.map((d) => `${d.verdict.signature.id} (${d.verdict.stage})`).join(', ') || '-', shorten(r.probe.line, 60),
  ])));
  out('');
  out(`Detections (${detections.length}):`);
  out(table(['FROM', 'SIGNATURE', 'FAMILY', 'STAGE', 'ACTION'], detections.map((d) => [d.ip, d.verdict.signature.id, d.verdict.signature.family, d.verdict.stage, d.action])));
  out('');
  out(`Offenders (GET http://127.0.0.1:${app.adminAddress.port}/offenders):`);
  out(table(['ADDRESS', 'HITS', 'FAMILY', 'SIGNATURES', 'LAST REQUEST'], offenders.map((f) => [
    f.ip, String(f.hits), f.family, Object.keys(f.signatures).join(','), shorten(f.samples.at(-1) ?? '', 50),
  ])));
  out('');
  out(`Metrics: http://127.0.0.1:${app.adminAddress.port}/metrics`);
  for (const line of metricsText.split('\n')) {
    if (/^wormwatch_(detections|requests)_total\{/.test(line) || line.startsWith('wormwatch_offenders ')) out(`  ${line}`);
  }
}

/** Sends one request exactly as written and returns the status code (or what went wrong). */
function sendRaw(port: number, probe: Probe): Promise<string> {
  const bytes = `${probe.line}\r\nHost: demo.example\r\nUser-Agent: wormwatch-demo\r\nX-Forwarded-For: ${probe.from}\r\nConnection: close\r\n\r\n`;
  return new Promise((resolve) => {
    let head = '';
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(bytes, 'latin1'));
    socket.setTimeout(10_000, () => socket.destroy(new Error('timed out')));
    socket.on('data', (chunk: Buffer) => {
      if (head.length < 256) head += chunk.toString('latin1');
    });
    socket.on('error', (err) => resolve(`error: ${err.message}`));
    socket.on('close', () => resolve(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 'no answer'));
  });
}

const PAGES: Record<string, string> = {
  '/': '<h1>Demo origin</h1><p>Nothing to see; wormwatch stands in front.</p>\n',
  '/about.html': '<h1>About</h1>\n',
  '/search': '<p>No results.</p>\n',
};

function startDemoOrigin(): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    const page = PAGES[new URL(req.url ?? '/', 'http://origin.invalid').pathname];
    res.writeHead(page ? 200 : 404, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(page ?? '<h1>404 Not Found</h1>\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port }));
  });
}

function waitForSignal(app: Wormwatch, cleanUp: () => Promise<void>): Promise<number> {
  process.stdout.write(`Staying up (--keep): send requests to http://127.0.0.1:${app.proxyAddress.port}/; Ctrl-C stops.\n`);
  return new Promise((resolve) => {
    const stop = (): void => {
      void cleanUp().then(() => resolve(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

function table(headers: string[], rows: string[][]): string {
  if (rows.length === 0) return '  (none)';
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]): string => `  ${r.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`.trimEnd();
  return [fmt(headers), ...rows.map(fmt)].join('\n');
}

function shorten(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
