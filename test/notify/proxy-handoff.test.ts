import assert from 'node:assert/strict';
import { startWormwatch, type Wormwatch } from '../../src/runtime/serve.js';
import { builtinCatalogue } from '../../src/rules/index.js';
import { createLogger } from '../../src/log.js';
import { notifyExtension } from '../../src/runtime/extensions/notify.js';
import { Outbox } from '../../src/notify/outbox.js';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { noticeOptions, startDns, tempDir, waitFor, type TestDns } from './support.js';
import { stayingLocal } from '../helpers/notice-guard.js';

// The client address 45.33.32.156 is DATA only: it reaches the proxy as X-Forwarded-For from
// 127.0.0.1, and its PTR query goes to the (hanging) DNS server on 127.0.0.1.
const CLIENT = '45.33.32.156';
const probe = builtinCatalogue().find((s) => s.id === 'codered-ii')!.examples.positive[0]!.request.split(' ')[1]!;

describe('notices behind the real proxy', () => {
  let origin: Origin;
  let dns: TestDns;
  let dir: ReturnType<typeof tempDir>;
  let ww: Wormwatch;
  let outbox: Outbox;

  before(async () => {
    dir = tempDir();
    origin = await startOrigin();
    dns = await startDns({ hang: true });
    const options = noticeOptions({
      upstream: origin.url, listen: '127.0.0.1:0', adminListen: '127.0.0.1:0', trustProxy: '127.0.0.1/32',
      dataDir: dir.path, dnsServer: dns.server, dnsTimeout: '10s',
    });
    ww = await startWormwatch(stayingLocal(options), { logger: createLogger('silent'), extensions: [notifyExtension] });
    outbox = new Outbox(dir.path);
  });
  after(async () => {
    await ww.stop(0);
    outbox.close();
    await dns.close();
    await origin.close();
    dir.remove();
  });

  const get = (path: string) => fetch(`http://127.0.0.1:${ww.proxyAddress.port}${path}`, { headers: { 'x-forwarded-for': CLIENT } });

  it('forwards while the reverse lookup of the offender hangs', async () => {
    assert.equal((await get(probe)).status, 200);
    await waitFor(() => dns.queries.length > 0, 5000, 'the PTR query to reach the hanging DNS server');
    const again = await get(probe);
    assert.equal(again.status, 200);
    assert.equal((await get('/index.html')).status, 200);
    const row = outbox.list({ limit: 5 })[0]!;
    assert.equal(row.ip, CLIENT);
    assert.equal(row.host_status, null, 'the lookup was still unanswered when the responses arrived');
    await waitFor(() => outbox.get(row.id)?.hits === 2, 5000, 'the second probe merged');
    assert.equal(origin.requests.filter((r) => r.url === probe).length, 2);
  });

  it('lists notices at GET /notices on the admin port, paged', async () => {
    const res = await fetch(`http://127.0.0.1:${ww.adminAddress.port}/notices?limit=1`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { notices: { ip: string; state: string; hits: number }[]; next: number | null; counts: Record<string, number> };
    assert.equal(body.notices.length, 1);
    assert.equal(body.notices[0]!.ip, CLIENT);
    assert.equal(body.notices[0]!.state, 'queued');
    assert.equal(body.counts.queued, 1);
    assert.equal(typeof body.next, 'number');
    const page2 = (await (await fetch(`http://127.0.0.1:${ww.adminAddress.port}/notices?limit=1&before=${body.next}`)).json()) as { notices: unknown[]; next: null };
    assert.deepEqual(page2, { notices: [], next: null, counts: body.counts });
    assert.equal((await fetch(`http://127.0.0.1:${ww.adminAddress.port}/notices?state=bogus`)).status, 400);
  });

  it('exports the notice metrics on the shared registry, counting the notice queued once its lookup is done', async () => {
    await waitFor(() => outbox.list({ limit: 1 })[0]?.host_status ?? null, 10_000, 'the lookup to time out');
    const text = await (await fetch(`http://127.0.0.1:${ww.adminAddress.port}/metrics`)).text();
    assert.match(text, /wormwatch_notices_total\{result="queued"\} 1/);
    assert.match(text, /wormwatch_notice_queue\{state="queued"\} 1/);
    assert.match(text, /# TYPE wormwatch_notice_send_seconds histogram/);
    assert.match(text, /# TYPE wormwatch_dns_lookups_total counter/);
  });
});
