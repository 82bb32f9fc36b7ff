import assert from 'node:assert/strict';
import { builtinCatalogue } from '../../src/rules/index.js';
import { Outbox } from '../../src/notify/outbox.js';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { startDns, startServe, startSmtp, tempDir, waitFor, type ServeProcess, type TestDns, type TestSmtp } from './support.js';

// Offender addresses are DATA only: X-Forwarded-For values from 127.0.0.1; DNS and SMTP servers
// are on 127.0.0.1.
const probe = builtinCatalogue().find((s) => s.id === 'codered-ii')!.examples.positive[0]!.request.split(' ')[1]!;
const IPS = Array.from({ length: 20 }, (_, i) => `45.33.50.${i + 1}`);

describe('notices survive SIGKILL of wormwatch serve (at-least-once)', function () {
  this.timeout(120_000);
  let origin: Origin;
  let dns: TestDns;
  let smtp: TestSmtp;
  let dir: ReturnType<typeof tempDir>;
  let serve: ServeProcess | undefined;
  let outbox: Outbox | undefined;

  before(async () => {
    dir = tempDir();
    origin = await startOrigin();
    dns = await startDns({});
    smtp = await startSmtp('hold'); // takes the message, never answers: the notice stays in `sending`
  });
  after(async () => {
    await serve?.stop();
    outbox?.close();
    await smtp.close();
    await dns.close();
    await origin.close();
    dir.remove();
  });

  it('delivers every notice after a restart, those left queued and those left in sending', async () => {
    const flags = {
      upstream: origin.url, 'data-dir': dir.path, 'smtp-url': smtp.url, 'dns-server': dns.server, 'dns-timeout': '300ms',
      'notice-lease': '1s', 'notice-retry-base': '100ms', 'smtp-rate-limit': '1000', 'notice-from': 'wormwatch@example.org',
    };
    serve = await startServe(flags);
    for (const ip of IPS) assert.equal(await serve.probe(ip, probe), 200);
    outbox = new Outbox(dir.path);
    await waitFor(() => {
      const c = outbox!.countsByState();
      return smtp.held > 0 && c.sending > 0 && c.queued > 0 && c.sending + c.queued === IPS.length;
    }, 20_000, 'notices both queued and in sending');
    serve.child.kill('SIGKILL');
    await serve.exited;
    const atKill = outbox.countsByState();
    assert.ok(atKill.sending > 0 && atKill.queued > 0, JSON.stringify(atKill));
    assert.equal(smtp.received.length, 0);

    smtp.behaviour = 'accept';
    serve = await startServe(flags);
    await waitFor(() => outbox!.countsByState().sent === IPS.length, 30_000, 'every notice sent after the restart');
    const delivered = new Set(smtp.received.map((m) => /from (\S+)/.exec(m.headers.get('subject') ?? '')![1]));
    assert.deepEqual([...delivered].sort(), [...IPS].sort());
  });
});
