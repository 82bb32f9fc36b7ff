import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanEnv, finished, spawnCli } from './run-cli.js';

/** Resolves with the first JSON log line on the child's stdout that `test` accepts. */
function logLine(child: ChildProcess, test: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (chunk: Buffer): void => {
      buffer += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const text = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        let line: Record<string, unknown>;
        try {
          line = JSON.parse(text) as Record<string, unknown>;
        } catch {
          continue;
        }
        if (test(line)) {
          child.stdout!.off('data', onData);
          resolve(line);
          return;
        }
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`wormwatch exited (${code}) before the expected log line`)));
  });
}

describe('wormwatch serve', function () {
  this.timeout(60_000);
  let dataDir: string;
  let origin: http.Server;
  let release: () => void = () => {};
  let slowArrived: Promise<void>;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wormwatch-serve-'));
    let arrived: () => void = () => {};
    slowArrived = new Promise((r) => (arrived = r));
    origin = http.createServer((req, res) => {
      if (req.url !== '/slow') return void res.end('fast');
      arrived();
      release = () => res.end('slow done');
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', () => r()));
  });
  after(() => {
    origin.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('on SIGTERM turns not-ready, lets the in-flight request finish, and exits 0', async () => {
    const upstream = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
    const child = spawnCli(
      ['serve', '--upstream', upstream, '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--shutdown-grace', '30s', '--notify', 'off'],
      cleanEnv({ WORMWATCH_DATA_DIR: dataDir }),
    );
    const exited = finished(child);
    try {
      const listening = await logLine(child, (l) => l.msg === 'wormwatch listening');
      const proxyPort = (listening.proxy as AddressInfo).port;
      const adminPort = (listening.admin as AddressInfo).port;
      assert.equal((await fetch(`http://127.0.0.1:${adminPort}/readyz`)).status, 200);

      const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: proxyPort, path: '/slow', agent: false }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        }).on('error', reject);
      });
      await slowArrived;
      const stopping = logLine(child, (l) => l.msg === 'wormwatch stopping');
      child.kill('SIGTERM');
      await stopping;
      assert.equal((await fetch(`http://127.0.0.1:${adminPort}/readyz`)).status, 503, 'not ready while draining');
      release();
      assert.deepEqual(await response, { status: 200, body: 'slow done' });
      const result = await exited;
      assert.equal(result.code, 0, result.stderr);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
