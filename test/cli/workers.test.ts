import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanEnv, finished, spawnCli } from './run-cli.js';

const CODERED = '/default.ida?NNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNN%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801=a';

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // agent: false, so each request is a new connection and the cluster spreads them.
    http.get({ host: '127.0.0.1', port, path, agent: false, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

function sample(metrics: string, line: string): number {
  const found = metrics.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? NaN : Number(found.slice(line.length + 1));
}

function childPids(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The proxy and admin addresses from the `wormwatch listening` log line. */
function listeningOf(child: ReturnType<typeof spawnCli>): Promise<{ proxy: AddressInfo; admin: AddressInfo }> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (chunk: Buffer): void => {
      buffer += chunk.toString('utf8');
      const line = buffer.split('\n').find((l) => l.includes('"wormwatch listening"'));
      if (line !== undefined) {
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve(JSON.parse(line) as { proxy: AddressInfo; admin: AddressInfo });
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`wormwatch exited (${code}) before listening: ${buffer}`)));
  });
}

/** Every one of `n` fresh connections (spread over the workers) gets `status`: polled, since a ban reaches the workers over IPC. */
async function allAnswer(port: number, n: number, status: number, headers: Record<string, string>): Promise<void> {
  const end = Date.now() + 5_000;
  for (;;) {
    const got = await Promise.all(Array.from({ length: n }, () => get(port, '/', headers)));
    if (got.every((g) => g.status === status)) return;
    if (Date.now() > end) throw new Error(`expected ${status} from every worker, got ${got.map((g) => g.status).join(',')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('wormwatch serve --workers 2', function () {
  this.timeout(90_000);
  let dataDir: string;
  let origin: http.Server;
  let release: () => void = () => {};
  let slowArrived: Promise<void>;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wormwatch-workers-'));
    let arrived: () => void = () => {};
    slowArrived = new Promise((r) => (arrived = r));
    origin = http.createServer((req, res) => {
      if (req.url === '/slow') {
        arrived();
        release = () => res.end('slow done');
        return;
      }
      res.statusCode = req.url === '/' ? 200 : 404;
      res.end(req.url === '/' ? 'home' : 'missing');
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', () => r()));
  });
  after(() => {
    origin.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('forwards through both workers, reports to one admin server, reloads them, and drains them on SIGTERM', async () => {
    const upstream = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
    const child = spawnCli(
      ['serve', '--workers', '2', '--upstream', upstream, '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--shutdown-grace', '30s', '--notify', 'off'],
      cleanEnv({ WORMWATCH_DATA_DIR: dataDir }),
    );
    const exited = finished(child);
    try {
      const listening = await listeningOf(child);
      const proxyPort = listening.proxy.port;
      const admin = `http://127.0.0.1:${listening.admin.port}`;
      const workers = childPids(child.pid!);
      assert.equal(workers.length, 2, 'two worker processes');

      const answers = await Promise.all(Array.from({ length: 8 }, () => get(proxyPort, '/')));
      assert.deepEqual(new Set(answers.map((a) => `${a.status} ${a.body}`)), new Set(['200 home']));
      assert.equal((await get(proxyPort, CODERED)).status, 404, 'monitor mode forwards the probe');

      const metrics = await (await fetch(`${admin}/metrics`)).text();
      assert.equal(sample(metrics, 'wormwatch_workers'), 2);
      assert.equal(sample(metrics, 'wormwatch_requests_total{outcome="forwarded"}'), 9, 'the workers\' counts added up');
      assert.equal(sample(metrics, 'wormwatch_detections_total{signature="codered-i",family="codered",stage="request",action="forwarded"}'), 1);
      assert.equal(sample(metrics, 'wormwatch_build_info{version="0.1.0",node="' + process.version + '"}'), 1, 'primary-only metric not summed');
      const offenders = (await (await fetch(`${admin}/offenders`)).json()) as { total: number; offenders: Array<{ ip: string; signatures: Record<string, number> }> };
      assert.equal(offenders.total, 1);
      assert.equal(offenders.offenders[0]!.ip, '127.0.0.1');
      assert.deepEqual(offenders.offenders[0]!.signatures, { 'codered-i': 1 });

      const reload = await fetch(`${admin}/reload`, { method: 'POST' });
      assert.equal(reload.status, 200, await reload.clone().text());
      assert.equal(((await reload.json()) as { ok: boolean }).ok, true);

      const slow = get(proxyPort, '/slow');
      await slowArrived;
      child.kill('SIGTERM');
      // Give the stop a moment to reach the workers, then let the in-flight request finish.
      await new Promise<void>((resolve) => {
        const poll = setInterval(() => {
          fetch(`${admin}/readyz`).then((r) => r.status === 503 && (clearInterval(poll), resolve()), () => undefined);
        }, 50);
      });
      release();
      assert.deepEqual(await slow, { status: 200, body: 'slow done' });
      const result = await exited;
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(workers.filter(alive), [], 'no worker outlives the primary');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('decides bans in the primary and holds them in every worker, a replacement worker included', async () => {
    const upstream = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
    const child = spawnCli(
      ['serve', '--workers', '2', '--upstream', upstream, '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--mode', 'block', '--ban-ttl', '1h', '--trust-proxy', '127.0.0.1', '--notify', 'off'],
      cleanEnv({ WORMWATCH_DATA_DIR: dataDir }),
    );
    const exited = finished(child);
    try {
      const listening = await listeningOf(child);
      const port = listening.proxy.port;
      const admin = `http://127.0.0.1:${listening.admin.port}`;
      const offender = { 'x-forwarded-for': '198.51.100.7' };
      assert.equal((await get(port, CODERED, offender)).status, 403);
      await allAnswer(port, 8, 403, offender);
      await allAnswer(port, 8, 200, { 'x-forwarded-for': '198.51.100.8' });

      const [first] = childPids(child.pid!);
      process.kill(first!, 'SIGKILL');
      const deadline = Date.now() + 10_000;
      while (!(childPids(child.pid!).length === 2 && !childPids(child.pid!).includes(first!))) {
        assert.ok(Date.now() < deadline, 'the dead worker was replaced');
        await new Promise((r) => setTimeout(r, 50));
      }
      await allAnswer(port, 8, 403, offender);

      const made = await fetch(`${admin}/bans`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ip: '198.51.100.9', ttl: '1h' }) });
      assert.equal(made.status, 201);
      await allAnswer(port, 8, 403, { 'x-forwarded-for': '198.51.100.9' });
      assert.equal((await fetch(`${admin}/bans/198.51.100.7`, { method: 'DELETE' })).status, 200);
      await allAnswer(port, 8, 200, offender);
      const metrics = await (await fetch(`${admin}/metrics`)).text();
      assert.equal(sample(metrics, 'wormwatch_bans{kind="address"}'), 1, 'the gauge is the primary\'s, not summed over workers');
      // The killed worker's counts died with it; the 8 refused since are the survivors'.
      assert.ok(sample(metrics, 'wormwatch_requests_total{outcome="banned"}') >= 8, 'banned requests counted in the workers');
      child.kill('SIGTERM');
      assert.equal((await exited).code, 0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
