import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tinyFilesystem } from '../helpers/fs-faults.js';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { eventually, send, startApp, type TestApp } from '../helpers/app.js';

const CODERED = `/default.ida?${'N'.repeat(224)}%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801%u9090%u9090%u8190%u00c3%u0003%u8b00%u531b%u53ff%u0078%u0000%u00=a`;
const from = (ip: string): { headers: Record<string, string> } => ({ headers: { 'x-forwarded-for': ip } });

describe('bans.sqlite: a bad disk never stops the proxy nor lifts a ban', function () {
  this.timeout(30_000);
  let origin: Origin;
  let app: TestApp | undefined;
  const banning = (dataDir: string): Promise<TestApp> => startApp({ upstream: origin.url, mode: 'block', banTtl: '1h', trustProxy: '127.0.0.1', dataDir });
  before(async () => {
    origin = await startOrigin();
  });
  afterEach(async () => {
    await app?.stop(true);
    app = undefined;
  });
  after(() => origin.close());

  it('moves a damaged bans.sqlite aside, says so, and keeps banning into a fresh one', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wormwatch-bans-corrupt-'));
    try {
      writeFileSync(join(dataDir, 'bans.sqlite'), randomBytes(64 * 1024));
      app = await banning(dataDir);
      assert.ok(app.logs.some((l) => l.level === 50 && /ban file is damaged/.test(String(l.msg))), 'the damage is logged');
      assert.equal(readdirSync(dataDir).filter((f) => f.startsWith('bans.sqlite.corrupt-')).length, 1, 'the damaged file is kept aside');
      await send(app.url, CODERED, from('198.51.100.70'));
      assert.equal((await send(app.url, '/', from('198.51.100.70'))).status, 403);
      await app.stop(true);
      app = await banning(dataDir);
      assert.equal((await send(app.url, '/', from('198.51.100.70'))).status, 403, 'the ban made after the damage survived a restart');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('on a read-only disk keeps bans in force from memory, names EROFS once, and writes them when the disk returns', async () => {
    const fs = tinyFilesystem(4096);
    try {
      fs.readOnly(true);
      app = await banning(fs.path);
      await send(app.url, CODERED, from('198.51.100.71'));
      assert.equal((await send(app.url, '/', from('198.51.100.71'))).status, 403, 'banned although nothing can be written');
      await eventually(async () => (await app!.metric('wormwatch_ban_file_up')) === 0, 5_000, 'the file to be reported down');
      const line = app.logs.find((l) => l.level === 50 && /ban file write failed/.test(String(l.msg)));
      assert.equal(line?.code, 'EROFS');
      fs.readOnly(false);
      await eventually(async () => (await app!.metric('wormwatch_ban_file_up')) === 1, 10_000, 'the retry to succeed');
      assert.equal(app.logs.filter((l) => /ban file write failed/.test(String(l.msg))).length, 1, 'a repeating failure is logged once a minute, not per retry');
      assert.ok(existsSync(join(fs.path, 'bans.sqlite')));
      await app.stop(true);
      app = await banning(fs.path);
      assert.equal((await send(app.url, '/', from('198.51.100.71'))).status, 403, 'the ban made while the disk refused was written');
      await app.stop(true);
      app = undefined;
    } finally {
      await app?.stop(true);
      app = undefined;
      fs.remove();
    }
  });
});
