import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { startWormwatch, type Wormwatch } from '../../src/runtime/serve.js';
import { loadOptions } from '../../src/config/load.js';
import type { Signature } from '../../src/detect/types.js';
import type { DetectionEvent } from '../../src/detect/detection.js';
import { createLogger } from '../../src/log.js';
import { rulesReloadExtension } from '../../src/runtime/extensions/reload.js';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { GUARDED_NODE_ARGS } from '../helpers/no-network.js';

const userRule: Signature = {
  id: 'user-custom-probe', family: 'scanner', title: 'Custom probe', description: 'A probe for /custom-probe.', references: [],
  stage: 'request', match: { target: 'path', pattern: '/custom-probe$', literals: ['custom-probe'] },
  examples: { positive: [{ request: 'GET /custom-probe HTTP/1.1' }], negative: [{ request: 'GET / HTTP/1.1' }] },
};

describe('rule reloads through POST /reload', () => {
  let dir: string;
  let rulesFile: string;
  let origin: Origin;
  let app: Wormwatch;
  const logs: string[] = [];
  const detections: DetectionEvent[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wormwatch-reload-'));
    rulesFile = join(dir, 'rules.json');
    writeFileSync(rulesFile, '[]');
    origin = await startOrigin({ fallback: (req, res) => { req.resume(); res.end('ok'); } });
    const options = loadOptions({ env: {}, flags: { upstream: origin.url, listen: '127.0.0.1:0', adminListen: '127.0.0.1:0', logLevel: 'info', rules: rulesFile } });
    app = await startWormwatch(options, {
      logger: createLogger('info', { write: (line: string) => void logs.push(line) }),
      extensions: [rulesReloadExtension, { name: 'recorder', onDetection: (e) => void detections.push(e) }],
    });
  });
  after(async () => {
    await app?.stop(0);
    await origin?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const admin = (path: string, method = 'GET') => fetch(`http://127.0.0.1:${app.adminAddress.port}${path}`, { method });
  const metric = async (name: string, labels = ''): Promise<number> => {
    const text = await (await admin('/metrics')).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
    return line ? Number(line.split(' ')[1]) : NaN;
  };

  it('swaps rules under keep-alive load, by POST /reload, with no failed request', async () => {
    let running = true;
    const results = { ok: 0, failed: [] as string[] };
    const client = async (n: number): Promise<void> => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        for (let i = 0; running; i++) {
          const path = i % 3 === 0 ? '/custom-probe' : `/page/${n}/${i}`;
          try {
            const status = await get(agent, app.proxyAddress.port, path);
            if (status === 200) results.ok++;
            else results.failed.push(`${path}: ${status}`);
          } catch (err) {
            results.failed.push(`${path}: ${(err as Error).message}`);
          }
        }
      } finally {
        agent.destroy();
      }
    };
    const load = Promise.all([0, 1, 2, 3].map(client));
    const baseSize = app.engine().signatures.length;
    try {
      for (let round = 0; round < 6; round++) {
        const withRule = round % 2 === 0;
        writeFileSync(rulesFile, JSON.stringify(withRule ? [userRule] : []));
        const okBefore = results.ok;
        const res = await admin('/reload', 'POST');
        assert.equal(res.status, 200);
        assert.deepEqual(await res.json(), { ok: true, signatures: baseSize + (withRule ? 1 : 0) });
        assert.equal(app.engine().signatures.length, baseSize + (withRule ? 1 : 0));
        await until(async () => results.ok > okBefore + 8); // traffic keeps flowing between reloads
      }
    } finally {
      running = false;
      await load;
    }
    assert.deepEqual(results.failed, [], 'no request failed or was dropped');
    assert.ok(results.ok > 48);
    assert.ok(detections.some((e) => e.verdict.signature.id === 'user-custom-probe'), 'the reloaded user rule detected');
    assert.equal(await metric('wormwatch_rules_reload_total', '{result="success"}'), 6);
    assert.equal(await metric('wormwatch_rules_loaded'), baseSize);
  });

  it('keeps the running rules when the new file is bad, and says why in the log and the metrics', async () => {
    writeFileSync(rulesFile, JSON.stringify([userRule]));
    assert.equal((await admin('/reload', 'POST')).status, 200);
    const running = app.engine();
    // A rule whose own positive example does not match its pattern: the file is refused as a whole.
    writeFileSync(rulesFile, JSON.stringify([userRule, { ...userRule, id: 'user-broken', match: { target: 'path', pattern: '/never$', literals: ['never'] } }]));
    const res = await admin('/reload', 'POST');
    assert.equal(res.status, 422);
    const body = (await res.json()) as { ok: boolean; error: string; signatures: number };
    assert.equal(body.ok, false);
    assert.ok(body.error.includes(rulesFile) && body.error.includes('user-broken'), body.error);
    assert.equal(app.engine(), running, 'the old engine keeps running');
    assert.equal(await metric('wormwatch_rules_last_reload_success'), 0);
    assert.equal(await metric('wormwatch_rules_reload_total', '{result="failure"}'), 1);
    const failure = logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.event === 'rules-reload' && l.level === 50);
    assert.ok(String(failure?.error).includes('user-broken'));
    writeFileSync(rulesFile, '[{"id": "truncated", ');
    assert.match(((await (await admin('/reload', 'POST')).json()) as { error: string }).error, /cannot parse/);
    assert.equal(app.engine(), running, 'still the old engine');
    const before = detections.length;
    assert.equal(await get(new http.Agent(), app.proxyAddress.port, '/custom-probe'), 200);
    assert.equal(detections.length, before + 1, 'the rule loaded before the bad file still detects');

    writeFileSync(rulesFile, '[]');
    assert.equal((await admin('/reload', 'POST')).status, 200);
    assert.equal(await metric('wormwatch_rules_last_reload_success'), 1);
  });

  it('takes an empty rule file (0 bytes, caught mid-write) as a failed reload, under keep-alive load, keeping every user rule', async () => {
    writeFileSync(rulesFile, JSON.stringify([userRule]));
    assert.equal((await admin('/reload', 'POST')).status, 200);
    const running = app.engine();
    const failuresBefore = await metric('wormwatch_rules_reload_total', '{result="failure"}');
    let busy = true;
    const failed: string[] = [];
    const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    const load = (async () => {
      for (let i = 0; busy; i++) {
        const status = await get(agent, app.proxyAddress.port, `/page/${i}`).catch((err: Error) => err.message);
        if (status !== 200) failed.push(String(status));
      }
    })();
    try {
      for (const empty of ['', '   \n']) {
        writeFileSync(rulesFile, empty);
        const res = await admin('/reload', 'POST');
        assert.equal(res.status, 422);
        assert.match(((await res.json()) as { error: string }).error, /holds no rules/);
        assert.equal(app.engine(), running, 'the old rules keep running');
      }
    } finally {
      busy = false;
      await load;
      agent.destroy();
    }
    assert.deepEqual(failed, []);
    assert.equal(await metric('wormwatch_rules_reload_total', '{result="failure"}'), failuresBefore + 2);
    assert.equal(await metric('wormwatch_rules_last_reload_success'), 0);
    const before = detections.length;
    assert.equal(await get(new http.Agent(), app.proxyAddress.port, '/custom-probe'), 200);
    assert.equal(detections.length, before + 1, 'the user rule still detects');
    writeFileSync(rulesFile, '[]');
    assert.equal((await admin('/reload', 'POST')).status, 200);
  });
});

describe('SIGHUP on a running wormwatch serve', () => {
  let dir: string;
  let origin: Origin;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wormwatch-sighup-'));
    origin = await startOrigin({ fallback: (req, res) => { req.resume(); res.end('ok'); } });
  });
  after(async () => {
    await origin.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reloads the rule file, keeps the old rules when the new file is bad, and keeps serving', async function () {
    this.timeout(60_000); // a child Node process with tsx takes seconds to start on two busy cores
    const rulesFile = join(dir, 'rules.json');
    writeFileSync(rulesFile, '[]');
    const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
    const child = spawn(process.execPath, [...GUARDED_NODE_ARGS, main, 'serve', '--upstream', origin.url, '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--rules', rulesFile, '--notify', 'off'], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)), env: { PATH: process.env.PATH ?? '', WORMWATCH_DATA_DIR: dir }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: Record<string, unknown>[] = [];
    let buffer = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        try { lines.push(JSON.parse(buffer.slice(0, nl)) as Record<string, unknown>); } catch { /* not a log line */ }
        buffer = buffer.slice(nl + 1);
      }
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const logged = async (test: (l: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> => {
      await until(() => lines.some(test) || child.exitCode !== null, 20_000);
      const line = lines.find(test);
      assert.ok(line, 'expected log line');
      return line;
    };
    try {
      const listening = await logged((l) => l.msg === 'wormwatch listening');
      const port = (listening.proxy as AddressInfo).port;
      writeFileSync(rulesFile, JSON.stringify([userRule]));
      child.kill('SIGHUP');
      const reloaded = await logged((l) => l.event === 'rules-reload' && l.reason === 'SIGHUP');
      assert.equal(reloaded.msg, 'rules reloaded');
      assert.equal(await get(new http.Agent(), port, '/custom-probe'), 200);
      await logged((l) => l.event === 'detection' && l.signature === 'user-custom-probe');

      writeFileSync(rulesFile, '{ not json');
      child.kill('SIGHUP');
      const failed = await logged((l) => l.event === 'rules-reload' && l.msg !== 'rules reloaded');
      assert.match(String(failed.error), /cannot parse/);
      assert.equal(await get(new http.Agent(), port, '/custom-probe?again'), 200, 'still serving');
      await until(() => lines.filter((l) => l.event === 'detection' && l.signature === 'user-custom-probe').length === 2);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});

async function until(condition: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail('timed out');
    await sleep(10);
  }
}

function get(agent: http.Agent, port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject);
  });
}
