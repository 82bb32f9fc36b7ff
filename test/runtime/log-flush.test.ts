import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { GUARDED_NODE_ARGS } from '../helpers/no-network.js';

/** Distinct offenders, so the per-offender limit writes a line for each. */
const OFFENDERS = 400;

describe('asynchronous log lines of wormwatch serve', () => {
  let dir: string;
  let origin: Origin;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wormwatch-logflush-'));
    origin = await startOrigin({ fallback: (req, res) => { req.resume(); res.statusCode = 404; res.end('no'); } });
  });
  after(async () => {
    await origin.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('are all written, whole and in order, when SIGTERM arrives right after a burst of detections', async function () {
    this.timeout(60_000); // a child Node process with tsx takes seconds to start on two busy cores
    const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
    const child = spawn(process.execPath, [...GUARDED_NODE_ARGS, main, 'serve', '--upstream', origin.url, '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0',
      '--notify', 'off', '--trust-proxy', '127.0.0.1/32', '--no-geoip'], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)), env: { PATH: process.env.PATH ?? '', WORMWATCH_DATA_DIR: dir }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { out += chunk; });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const deadline = Date.now() + 30_000;
      while (!out.includes('wormwatch listening')) {
        assert.ok(Date.now() < deadline && child.exitCode === null, `serve did not start: ${out.slice(-500)}`);
        await sleep(20);
      }
      const listening = JSON.parse(out.split('\n').find((l) => l.includes('wormwatch listening'))!) as { proxy: AddressInfo };
      const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
      await Promise.all(Array.from({ length: OFFENDERS }, (_, i) => status(agent, listening.proxy.port, `10.1.${i >> 8}.${i & 255}`)));
      agent.destroy();
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    const lines = out.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as Record<string, unknown>);
    const detections = lines.filter((l) => l.event === 'detection');
    assert.equal(detections.length, OFFENDERS, 'one line for each offender, none lost');
    assert.equal(new Set(detections.map((l) => l.ip)).size, OFFENDERS);
    const shutting = lines.findIndex((l) => l.msg === 'shutting down');
    assert.ok(shutting > lines.indexOf(detections.at(-1)!), 'the shutdown line comes after every detection, as it was written');
    assert.ok(out.endsWith('\n'), 'the last line is whole');
  });
});

function status(agent: http.Agent, port: number, forwardedFor: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/scripts/..%c0%af../winnt/system32/cmd.exe?/c+dir', agent, headers: { 'x-forwarded-for': forwardedFor } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject);
  });
}
