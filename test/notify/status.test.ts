import assert from 'node:assert/strict';
import type { Notifier } from '../../src/notify/index.js';
import { detection, noticeOptions, startDns, startNotifier, startSmtp, tempDir, waitFor, type TestDns, type TestSmtp } from './support.js';

const IP = '45.33.32.156';

/** What the admin page's notice table reads: the queue by state and the next retry. */
describe('the notifier status the admin page shows', function () {
  this.timeout(20_000);
  let dir: ReturnType<typeof tempDir>;
  let dns: TestDns;
  let smtp: TestSmtp | undefined;
  let notifier: Notifier | undefined;
  beforeEach(async () => {
    dir = tempDir();
    dns = await startDns({});
  });
  afterEach(async () => {
    await notifier?.stop();
    notifier = undefined;
    await smtp?.close();
    smtp = undefined;
    await dns.close();
    dir.remove();
  });

  it('counts the queue by state and gives the next retry of a notice the server refused for now', async () => {
    smtp = await startSmtp('tempfail');
    const options = noticeOptions({ smtpUrl: smtp.url, dnsServer: dns.server, dnsTimeout: '300ms', dataDir: dir.path, noticeTiers: 'host', noticeRetryBase: '1h', noticeRetryMax: '2h' });
    ({ notifier } = startNotifier(options));
    await notifier.start();
    const before = Date.now();
    notifier.notify(detection(IP));
    const status = await waitFor(() => (notifier!.status()?.counts.retrying === 1 ? notifier!.status() : null), 15_000, 'a retrying notice');
    assert.equal(status.counts.sent, 0);
    assert.ok(status.nextRetryAt instanceof Date, 'a retry time');
    // Back-off of about an hour (with jitter), never in the past.
    assert.ok(status.nextRetryAt.getTime() > before + 10 * 60_000, status.nextRetryAt.toISOString());
  });

  it('has nothing to show with notices off, so the page says they are off', async () => {
    ({ notifier } = startNotifier(noticeOptions({ notify: 'off', dataDir: dir.path })));
    await notifier.start();
    assert.equal(notifier.status(), null);
  });
});
