import { strict as assert } from 'node:assert';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { compileCatalogue } from '../../src/detect/engine.js';
import type { Signature } from '../../src/detect/types.js';
import { buildNjsModule } from '../../src/njs/build.js';
import { buildNjsMap } from '../../src/njs/map.js';
import { defaultEngine } from '../../src/rules/index.js';
import { bytesOf, generate } from '../fuzz/generator.js';
import { adapt, JS_MODULE, NGINX, readSnippet, startNginx, type Nginx } from '../deploy/nginx-support.js';
import { freePort, run, tempDir, waitFor } from '../deploy/support.js';
import { wireExamples } from './examples.js';
import { examplesOf, hostileRequests, JOINT_REQUESTS, JOINT_SIGNATURES, wireBytes } from './hostile.js';
import { nodeVerdict, type WireRequest } from './suspects.js';

/**
 * A test-only njs function: the request exactly as njs sees it (method, `$request_uri` bytes,
 * header pairs, one byte each via fromBytes), in hex, so that the Node engine can judge the very
 * request nginx parsed. Written out beside the generated module.
 */
const VIEW_MODULE = `
function hex(s) { var out = []; for (var i = 0; i < s.length; i++) { var c = s.charCodeAt(i); out.push((c < 16 ? '0' : '') + c.toString(16)); } return out.join(''); }
function view(r) {
  try {
    var raw = r.rawVariables.request_uri; var uri = [];
    for (var i = 0; raw && i < raw.length; i++) uri.push((raw[i] < 16 ? '0' : '') + raw[i].toString(16));
    var h = r.rawHeadersIn; var parts = [];
    for (var j = 0; j < h.length; j++) parts.push(hex(h[j][0].fromBytes()) + ':' + hex(h[j][1].fromBytes()));
    return hex(r.method.fromBytes()) + '/' + uri.join('') + '/' + parts.join(',');
  } catch (e) { return 'error'; }
}
export default { view: view };
`;

function fromHex(h: string): string {
  return Buffer.from(h, 'hex').toString('latin1');
}

/** A logged view back into the request nginx parsed. */
function parseView(view: string): WireRequest {
  const [method = '', uri = '', headers = ''] = view.split('/');
  return { method: fromHex(method), target: fromHex(uri), headers: headers === '' ? [] : headers.split(',').map((p) => p.split(':').map(fromHex) as [string, string]) };
}

interface Logged { status: number; ran: boolean; gated: string; suspect: string; full: string; view: string }

function parseLine(line: string): Logged {
  const m = / (\d{3}) \d+ "(?:[^"\\]|\\.)*" "(?:[^"\\]|\\.)*" wormwatch=(\S*) ran=(\S*) suspect=(\S*) full=(\S*) view=(\S*)$/.exec(line);
  assert.ok(m, `unexpected access log line: ${line.slice(0, 300)}`);
  const value = (v: string): string => (v === '-' ? '' : v);
  return { status: Number(m[1]), gated: value(m[2]!), ran: m[3] === '1', suspect: value(m[4]!), full: value(m[5]!), view: m[6]! };
}

/**
 * The shipped njs-inline.conf with a catalogue's module and map, logging beside the verdict it
 * acts on (`$wormwatch_verdict`, njs only for suspects) whether the server's rewrite phase ran, the
 * suspect flag, the classifier's verdict on every request (`$wormwatch`, read at log time) and
 * the view. Blocked requests get the 403 itself (no hand-off: no wormwatch here).
 */
function snippetFor(dir: string, signatures: readonly Signature[], port: number, log: string): string {
  mkdirSync(join(dir, 'html'), { recursive: true });
  writeFileSync(join(dir, 'html', 'index.html'), 'site\n');
  writeFileSync(join(dir, 'wormwatch.js'), buildNjsModule(signatures, 'test'));
  writeFileSync(join(dir, 'wormwatch-map.conf'), buildNjsMap(signatures, 'test'));
  writeFileSync(join(dir, 'view.js'), VIEW_MODULE);
  return adapt(readSnippet('njs-inline.conf'), {
    '/etc/nginx/njs/wormwatch.js': join(dir, 'wormwatch.js'),
    '/etc/nginx/njs/wormwatch-map.conf': join(dir, 'wormwatch-map.conf'),
    'js_set $wormwatch wormwatch.classify;': `js_set $wormwatch wormwatch.classify;\njs_import wwview from ${join(dir, 'view.js')};\njs_set $ww_view wwview.view;`,
    "wormwatch=$wormwatch_verdict';": "wormwatch=$wormwatch_verdict ran=$ww_ran suspect=$wormwatch_suspect full=$wormwatch view=$ww_view';",
    'set $wormwatch_verdict "";': 'set $ww_ran 1;\n    set $wormwatch_verdict "";',
    'error_page 403 @wormwatch_report;': '',
    'listen 80;': `listen 127.0.0.1:${port};`,
    'root /var/www/html;': `root ${join(dir, 'html')};`,
    '/var/log/nginx/wormwatch-access.log': log,
  });
}

/** Sends bytes, half-closes (every request has been written) and waits for nginx to close; at most 3 s. */
function send(port: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const sock = connect({ port, host: '127.0.0.1' });
    const timer = setTimeout(() => sock.destroy(), 3_000);
    sock.on('data', () => undefined);
    sock.on('error', () => undefined);
    sock.on('close', () => { clearTimeout(timer); resolve(); });
    sock.end(bytes);
  });
}

/** Every payload through `lanes` connections at a time. */
async function sendAll(port: number, payloads: readonly Buffer[], lanes = 24): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: lanes }, async () => {
    while (next < payloads.length) await send(port, payloads[next++]!);
  }));
}

describe('the generated map in a real nginx: same verdicts as the Node engine with njs run only for suspects', function () {
  this.timeout(300_000);
  const tmp = tempDir('njs-map');
  const nginxes: Nginx[] = [];

  after(async () => {
    for (const n of nginxes) await n.stop();
    tmp.remove();
  });

  /** nginx with the snippet for `signatures`; sends `payloads`; the logged lines once all are in. */
  async function through(name: string, signatures: readonly Signature[], payloads: readonly Buffer[]): Promise<Logged[]> {
    const dir = join(tmp.path, name);
    const log = join(dir, 'access.log');
    const port = await freePort();
    const conf = snippetFor(dir, signatures, port, log);
    writeFileSync(log, '');
    const nginx = await startNginx(conf, [port], { js: true, dir: join(dir, 'nginx'), main: ['pcre_jit on;'] });
    nginxes.push(nginx);
    await sendAll(port, payloads);
    // Written after each request ends; settled when two reads 300 ms apart agree.
    let last = -1;
    const text = await waitFor('the access log to settle', async () => {
      await new Promise((r) => setTimeout(r, 300));
      const t = readFileSync(log, 'latin1');
      if (t.length === last) return t;
      last = t.length;
      return undefined;
    }, 60_000);
    return text.split('\n').filter((l) => l.length > 0).map(parseLine);
  }

  /** Each request whose rewrite phase ran: the verdict acted on, and njs's on every request, must be Node's. */
  function compare(signatures: readonly Signature[], lines: readonly Logged[]) {
    const engine = compileCatalogue(signatures);
    const differ: string[] = [];
    let flagged = 0;
    let cleared = 0;
    const compared = lines.filter((l) => l.ran);
    for (const l of compared) {
      const request = parseView(l.view);
      const node = nodeVerdict(engine, request);
      if (l.gated !== node || l.full !== node || (l.status === 403) !== (node !== '')) {
        differ.push(`gated "${l.gated}" full "${l.full}" node "${node}" status ${l.status} (suspect ${l.suspect}): ${JSON.stringify(request).slice(0, 300)}`);
      }
      if (node !== '') flagged++;
      if (l.suspect !== '1') cleared++;
    }
    return { differ, flagged, cleared, compared: compared.length, refused: lines.length - compared.length };
  }

  it('passes nginx -t with the map of the built-in catalogue, joint literals and one that makes every request a suspect', async () => {
    const catalogues: [string, readonly Signature[]][] = [['builtin', defaultEngine().signatures], ['joint', JOINT_SIGNATURES]];
    const always: Signature = { ...JOINT_SIGNATURES[0]!, id: 'every-request', match: { target: 'url', pattern: '^/' } };
    catalogues.push(['every', [always]]);
    for (const [name, signatures] of catalogues) {
      const dir = join(tmp.path, `t-${name}`);
      const conf = join(dir, 'nginx.conf');
      const snippet = snippetFor(dir, signatures, 8080, join(dir, 'access.log'));
      writeFileSync(conf, `load_module ${JS_MODULE};\npcre_jit on;\nerror_log ${dir}/error.log;\nevents {}\nhttp {\n${snippet}\n}\n`);
      const r = await run(NGINX, ['-t', '-p', dir, '-c', conf, '-g', `pid ${dir}/nginx.pid;`]);
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    }
  });

  it('for every catalogue example, 3,000 hostile requests and 3,000 fuzz inputs (built-in catalogue)', async () => {
    const signatures = defaultEngine().signatures;
    const examples = wireExamples(signatures).flatMap((e) => (e.wire ? [e.wire] : []));
    const hostile = hostileRequests(examplesOf(signatures), 26, 3_000).map(wireBytes);
    const fuzz = generate(27, 3_000).map(bytesOf);
    const r = compare(signatures, await through('builtin', signatures, [...examples, ...hostile, ...fuzz]));
    assert.deepEqual(r.differ.slice(0, 20), [], `${r.differ.length} differ`);
    assert.ok(r.compared > 5_000 && r.flagged > 500 && r.cleared > 1_000, JSON.stringify({ ...r, differ: r.differ.length }));
    if (process.env.WORMWATCH_PARITY_REPORT) console.log(`      ${JSON.stringify({ ...r, differ: r.differ.length })}`);
  });

  it('for literals only a joint of normalisation makes, through nginx\'s own parser and PCRE', async () => {
    const payloads = [...JOINT_REQUESTS, ...hostileRequests(JOINT_REQUESTS, 28, 1_000)].map(wireBytes);
    const r = compare(JOINT_SIGNATURES, await through('joint', JOINT_SIGNATURES, payloads));
    assert.deepEqual(r.differ.slice(0, 20), [], `${r.differ.length} differ`);
    assert.ok(r.flagged > 200 && r.cleared > 100, JSON.stringify({ ...r, differ: r.differ.length }));
  });
});
