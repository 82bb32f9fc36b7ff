import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtinCatalogue } from '../../src/rules/index.js';
import { Outbox } from '../../src/notify/outbox.js';
import { tinyFilesystem, type Mounted } from '../helpers/fs-faults.js';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { startDns, startServe, tempDir, waitFor, type ServeProcess, type TestDns } from './support.js';

// Offender addresses are DATA only (X-Forwarded-For from 127.0.0.1); DNS is on loopback.
const probe = builtinCatalogue().find((s) => s.id === 'codered-ii')!.examples.positive[0]!.request.split(' ')[1]!;

async function metric(serve: ServeProcess, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${serve.adminPort}/metrics`)).text();
  const m = new RegExp(`^${name}${labels ? `\\{${labels}\\}` : ''} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

const errorsAbout = (serve: ServeProcess, text: RegExp) => serve.logs.filter((l) => l.level === 50 && text.test(String(l.msg)));

describe('faults of the disk never stop the proxy (real serve)', function () {
  this.timeout(120_000);
  let origin: Origin;
  let dns: TestDns;
  let serve: ServeProcess | undefined;
  const flags = (dataDir: string) => ({ upstream: origin.url, 'data-dir': dataDir, notify: 'outbox', 'dns-server': dns.server, 'dns-timeout': '200ms' });

  before(async () => {
    origin = await startOrigin();
    dns = await startDns({});
  });
  afterEach(async () => {
    await serve?.stop();
    serve = undefined;
  });
  after(async () => {
    await dns.close();
    await origin.close();
  });

  const damages: [string, (file: string) => void][] = [
    ['random bytes', (file) => writeFileSync(file, randomBytes(64 * 1024))],
    ['a truncated database', (file) => {
      const box = new Outbox(join(file, '..'));
      const insert = box.db.prepare("INSERT INTO notices (ip, state, signature, hits, first_seen, last_seen, created_at, updated_at) VALUES (?, 'suppressed', 'x', 1, 0, 0, 0, 0)");
      box.transaction(() => {
        for (let i = 0; i < 5000; i++) insert.run(`45.33.${i >> 8}.${i & 255}`);
      });
      box.db.pragma('wal_checkpoint(TRUNCATE)');
      box.close();
      truncateSync(file, Math.floor(statSync(file).size / 2));
    }],
  ];
  for (const [kind, damage] of damages) {
    it(`moves an outbox file of ${kind} aside, says so once, and keeps proxying with a fresh outbox`, async () => {
      const dir = tempDir();
      try {
        damage(join(dir.path, 'outbox.sqlite'));
        serve = await startServe(flags(dir.path));
        assert.equal(await serve.probe('45.33.32.156', probe), 200);
        const aside = readdirSync(dir.path).filter((f) => /^outbox\.sqlite\.corrupt-\d{4}-/.test(f));
        assert.equal(aside.length, 1, readdirSync(dir.path).join(','));
        assert.equal(errorsAbout(serve, /damaged/).length, 1);
        const box = new Outbox(dir.path);
        await waitFor(() => box.list({ limit: 5 }).some((r) => r.ip === '45.33.32.156'), 10_000, 'the notice in the fresh outbox');
        box.close();
      } finally {
        await serve?.stop();
        dir.remove();
      }
    });
  }

  it('on a full disk logs the cause once, keeps the detections in memory, and writes them when space returns', async () => {
    const fs: Mounted = tinyFilesystem(2048);
    try {
      serve = await startServe(flags(fs.path));
      assert.equal(await serve.probe('45.33.1.1', probe), 200);
      await waitFor(() => existsSync(join(fs.path, 'outbox.sqlite')), 5_000, 'the outbox');
      try {
        writeFileSync(join(fs.path, 'filler'), Buffer.alloc(8 * 1024 * 1024));
      } catch (err) {
        // Writing 8 MiB into a 2 MiB tmpfs stops at ENOSPC, with the disk full: that is the point.
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      }
      const ips = Array.from({ length: 300 }, (_, i) => `45.34.${i >> 8}.${(i & 255) + 1}`);
      for (const ip of ips) assert.equal(await serve.probe(ip, probe), 200);
      await waitFor(async () => (await metric(serve!, 'wormwatch_outbox_up')) === 0, 10_000, 'the outbox reported down');
      const full = errorsAbout(serve, /outbox write failed/);
      assert.equal(full.length, 1, 'one line, not one per detection');
      assert.equal(full[0]!.code, 'ENOSPC');
      assert.equal(full[0]!.path, fs.path);
      assert.equal(await metric(serve, 'wormwatch_notices_dropped_total', 'reason="handoff-full"'), 0);
      unlinkSync(join(fs.path, 'filler'));
      const box = new Outbox(fs.path);
      const notices = () => Object.values(box.countsByState()).reduce((a, b) => a + b, 0);
      await waitFor(() => notices() === 301, 20_000, 'every detection written once the disk has room');
      // And each offender waits for its abuse contact (RDAP points at a closed loopback port), but
      // one: 45.34.0.256 is no address, so that request is the loopback peer's, which no tier lists.
      assert.equal(box.rowCount(), 301 + 300);
      box.close();
      assert.equal(await metric(serve, 'wormwatch_outbox_up'), 1);
    } finally {
      await serve?.stop();
      serve = undefined;
      fs.remove();
    }
  });

  it('on a read-only directory names EROFS and the path, keeps detections, and a SIGTERM writes them once it can', async () => {
    const fs: Mounted = tinyFilesystem(4096);
    try {
      fs.readOnly(true);
      serve = await startServe(flags(fs.path));
      assert.equal(await serve.probe('45.35.0.1', probe), 200, 'the proxy works without its disk');
      const refused = await waitFor(() => errorsAbout(serve!, /cannot open the notice outbox/)[0], 5_000, 'the open error');
      assert.equal(refused.code, 'EROFS');
      assert.equal(refused.path, fs.path);
      fs.readOnly(false);
      await serve.stop('SIGTERM');
      assert.equal(await serve.exited, 0);
      const box = new Outbox(fs.path);
      assert.deepEqual(box.list({ limit: 5 }).map((r) => r.ip), ['45.35.0.1'], 'the detection made just before SIGTERM is in the outbox');
      box.close();
    } finally {
      await serve?.stop();
      serve = undefined;
      fs.remove();
    }
  });
});
