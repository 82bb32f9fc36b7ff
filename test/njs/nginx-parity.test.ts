import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { defaultEngine } from '../../src/rules/index.js';
import { adapt, detections, documentedCommand, readSnippet, startNginx, startWormwatchCli, type Nginx, type WormwatchProcess } from '../deploy/nginx-support.js';
import { CLI, freePort, httpRequest, run, tempDir, waitFor } from '../deploy/support.js';
import { keptByNginx, nodeHeaderObject, wireExamples } from './examples.js';

const CLIENT = '127.0.0.8';

/**
 * Sends exact bytes on a fresh connection and waits for nginx to close it (every example asks
 * for that). No half-close: nginx would take it for a client gone away and cut the report short.
 */
function sendRaw(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect({ port, host: '127.0.0.1', localAddress: CLIENT });
    let got = '';
    // An example that announces a body it does not carry keeps nginx waiting: then end our side.
    sock.setTimeout(1_000, () => {
      sock.setTimeout(0);
      sock.end();
      setTimeout(() => sock.destroy(), 3_000).unref();
    });
    sock.on('data', (b: Buffer) => (got += b.toString('latin1')));
    sock.on('error', reject);
    sock.on('close', () => resolve(got));
    sock.write(bytes);
  });
}

interface LogLine { status: number; request: string; wormwatch: string }

/** The shipped log_format: combined, then ` wormwatch=$wormwatch`. */
function parseLog(line: string): LogLine {
  const m = /^\S+ - \S+ \[[^\]]+\] "((?:[^"\\]|\\.)*)" (\d{3}) \d+ "(?:[^"\\]|\\.)*" "(?:[^"\\]|\\.)*" wormwatch=(\S*)$/.exec(line);
  assert.ok(m, `unexpected access log line: ${line}`);
  return { request: m[1]!, status: Number(m[2]), wormwatch: m[3] === '-' ? '' : m[3]! };
}

describe('deploy/nginx/njs-inline.conf: nginx classifies the suspects of the generated map with the generated njs module', function () {
  this.timeout(120_000);
  const tmp = tempDir('njs-nginx');
  const engine = defaultEngine();
  let nginx: Nginx;
  let ww: WormwatchProcess;
  let port: number;
  let accessLog: string;
  let linesRead = 0;

  /** The next access log line, once nginx has written it; null if none comes within 2 s. */
  async function nextLogLine(): Promise<LogLine | null> {
    const line = await waitFor('an access log line', () => {
      const lines = readFileSync(accessLog, 'utf8').split('\n').filter((l) => l.length > 0);
      return lines.length > linesRead ? lines[linesRead] : undefined;
    }, 2_000).catch(() => null);
    if (line === null) return null;
    linesRead++;
    return parseLog(line);
  }

  before(async () => {
    const html = join(tmp.path, 'html');
    mkdirSync(html);
    writeFileSync(join(html, 'index.html'), '<h1>site</h1>\n');
    const module = join(tmp.path, 'wormwatch.js');
    const map = join(tmp.path, 'wormwatch-map.conf');
    const built = await run(CLI[0], [...CLI.slice(1), 'build-njs', `--out=${module}`, `--map=${map}`]);
    assert.equal(built.code, 0, built.stderr);
    accessLog = join(tmp.path, 'wormwatch-access.log');
    writeFileSync(accessLog, '');
    const snippet = readSnippet('njs-inline.conf');
    ww = await startWormwatchCli(documentedCommand(snippet));
    const wwPort = ww.port;
    port = await freePort(); // after wormwatch holds its ports, so never one of them
    const conf = adapt(snippet, {
      '/etc/nginx/njs/wormwatch.js': module,
      '/etc/nginx/njs/wormwatch-map.conf': map,
      'server 127.0.0.1:8083;': `server 127.0.0.1:${wwPort};`,
      'listen 80;': `listen 127.0.0.1:${port};`,
      'root /var/www/html;': `root ${html};`,
      '/var/log/nginx/wormwatch-access.log': accessLog,
    });
    assert.match(snippet, /^#\s+pcre_jit on;/m, 'the snippet documents pcre_jit for the main context');
    nginx = await startNginx(conf, [port], { js: true, dir: join(tmp.path, 'nginx'), main: ['pcre_jit on;'] });
  });

  after(async () => {
    await nginx?.stop();
    await ww?.stop();
    tmp.remove();
  });

  it('serves ordinary requests and logs an empty signature', async () => {
    const res = await httpRequest(port, '/index.html', { localAddress: CLIENT });
    assert.equal(res.status, 200);
    const log = await nextLogLine();
    assert.deepEqual(log, { request: 'GET /index.html HTTP/1.1', status: 200, wormwatch: '' });
  });

  it('answers 403 to a request-stage probe, logs its signature, and wormwatch records the offender', async () => {
    const s = engine.signatures.find((x) => x.stage === 'request' && x.examples.positive.some((e) => !e.headers && /^GET \/\S* HTTP\/1\.1$/.test(e.request)))!;
    const target = s.examples.positive.find((e) => !e.headers && /^GET \/\S* HTTP\/1\.1$/.test(e.request))!.request.split(' ')[1]!;
    const expected = engine.match(engine.normalise({ method: 'GET', target }), 'request')!.signature.id;
    const before = await detections(ww.adminUrl, { signature: expected });
    const res = await httpRequest(port, target, { localAddress: CLIENT });
    assert.equal(res.status, 403);
    const log = await nextLogLine();
    assert.equal(log?.status, 403);
    assert.equal(log?.wormwatch, expected);
    assert.equal(await detections(ww.adminUrl, { signature: expected }), before + 1);
    const offender = (await (await fetch(`${ww.adminUrl}/offenders/${CLIENT}`)).json()) as { ip: string; signatures: Record<string, number> };
    assert.equal(offender.ip, CLIENT);
    assert.ok(offender.signatures[expected]! >= 1);
  });

  it('gives the same verdict as the Node engine for every catalogue example nginx accepts', async () => {
    const examples = wireExamples(engine.signatures);
    const unsendable: string[] = [];
    const rejected: string[] = [];
    const mismatches: string[] = [];
    const flaggedBySignature: Record<string, number> = {};
    const before = await (await fetch(`${ww.adminUrl}/metrics`)).text();
    let compared = 0;
    for (const ex of examples) {
      if (ex.wire === null) {
        unsendable.push(ex.name);
        continue;
      }
      await sendRaw(port, ex.wire);
      const log = await nextLogLine();
      // nginx refuses some byte sequences itself (400, 414, 494): no verdict to compare.
      if (log === null || log.status === 400 || log.status === 414 || log.status === 494) {
        rejected.push(`${ex.name} (${log ? log.status : 'no log line'}): ${ex.requestLine}`);
        continue;
      }
      // A header nginx drops (an invalid name) reaches neither njs nor the upstream: Node judges without it too.
      const node = engine.match(engine.normalise({ method: ex.method, target: ex.target, headers: nodeHeaderObject(keptByNginx(ex.headers)) }), 'request')?.signature.id ?? '';
      if (log.wormwatch !== node) mismatches.push(`${ex.name}: nginx "${log.wormwatch}" vs node "${node}" for ${ex.requestLine}`);
      if (node) flaggedBySignature[node] = (flaggedBySignature[node] ?? 0) + 1;
      assert.equal(log.status, log.wormwatch ? 403 : log.status, `${ex.name}: flagged but answered ${log.status}`);
      compared++;
    }
    const report = `${compared} compared, ${rejected.length} rejected by nginx, ${unsendable.length} unsendable`;
    // WORMWATCH_PARITY_REPORT=1 prints what nginx refused and why (for the README).
    if (process.env.WORMWATCH_PARITY_REPORT) {
      const why = nginx.errorLog().split('\n').filter((l) => /client sent/.test(l)).map((l) => l.replace(/^.*?\*\d+ /, '').slice(0, 160));
      console.log(`      ${report}\n      rejected:\n        ${rejected.map((r) => r.slice(0, 160)).join('\n        ')}\n      nginx said:\n        ${why.join('\n        ')}`);
    }
    assert.deepEqual(mismatches, [], report);
    assert.ok(compared >= examples.length * 0.8, `${report}: nginx refused too many examples`);
    // wormwatch (serve --mirror) heard of each blocked request, under the same signature.
    for (const [id, count] of Object.entries(flaggedBySignature)) {
      const was = (() => {
        let total = 0;
        for (const m of before.matchAll(new RegExp(`^wormwatch_detections_total\\{([^}]*)\\} (\\S+)$`, 'gm'))) if (m[1]!.includes(`signature="${id}"`)) total += Number(m[2]);
        return total;
      })();
      assert.equal(await detections(ww.adminUrl, { signature: id }), was + count, `wormwatch's count for ${id}`);
    }
  });
});
