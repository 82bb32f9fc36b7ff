import assert from 'node:assert/strict';
import { loadOptions } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { notifyMode } from '../../src/notify/index.js';
import { detection, noticeOptions, startNotifier } from './support.js';

const load = (flags: Record<string, unknown>) => loadOptions({ flags, env: {} });

describe('notice options', () => {
  it('defaults to outbox without --smtp-url and to smtp with it', () => {
    assert.equal(notifyMode(load({})), 'outbox');
    assert.equal(notifyMode(load({ smtpUrl: 'smtp://u:p@127.0.0.1:2525' })), 'smtp');
    assert.equal(notifyMode(load({ smtpUrl: 'smtps://127.0.0.1', notify: 'off' })), 'off');
  });

  it('has the documented defaults', () => {
    const o = load({});
    assert.equal(o.dataDir, './wormwatch-data');
    assert.equal(o.noticeInterval, 86_400_000);
    assert.equal(o.noticeMaxPerHour, 100);
    assert.deepEqual(o.noticeRecipients, ['administrator@{ip}', 'administrator@{hostname}', 'root@{ip}', 'all@{ip}']);
    assert.deepEqual([o.noticeRetryBase, o.noticeRetryMax, o.noticeMaxAge], [60_000, 21_600_000, 259_200_000]);
  });

  it('refuses --notify smtp without --smtp-url, naming the fix', () => {
    assert.throws(() => notifyMode(load({ notify: 'smtp' })), (e: unknown) => e instanceof ConfigError && /--smtp-url/.test(e.message));
  });

  const bad: [string, unknown, RegExp][] = [
    ['smtpUrl', 'http://mail.example.net', /--smtp-url.*smtp:\/\/ or smtps:\/\//],
    ['noticeFrom', 'a@b\r\nBcc: c@d', /--notice-from.*e-mail address/],
    ['noticeCc', 'ok@example.org,not-an-address', /--notice-cc/],
    ['noticeRecipients', 'root@{ip},admin@{host}', /--notice-recipients.*bad entry "admin@\{host\}"/],
    ['dnsServer', '127.0.0.1:99999', /--dns-server.*bad entry/],
    ['dnsServer', 'dns.example.net', /--dns-server/],
    ['noticeAllowPrivate', '10.0.0.0/33', /--notice-allow-private/],
    ['notify', 'email', /--notify.*one of off, outbox, smtp/],
  ];
  for (const [key, value, message] of bad) {
    it(`rejects ${key}=${JSON.stringify(value)} with one line naming the option`, () => {
      assert.throws(() => load({ [key]: value }), (e: unknown) => e instanceof ConfigError && message.test(e.message) && !e.message.includes('\n'));
    });
  }

  it('accepts DNS servers with ports, IPv6 in brackets', () => {
    assert.deepEqual(load({ dnsServer: '127.0.0.1:5353,[::1]:53,::1,192.0.2.53' }).dnsServer, ['127.0.0.1:5353', '[::1]:53', '::1', '192.0.2.53']);
  });
});

describe('notifier start-up with an outbox that cannot be opened', () => {
  it('starts anyway (the proxy must not depend on its disk), reports the outbox down and keeps detections in memory', async () => {
    const { notifier, metrics } = startNotifier(noticeOptions({ dataDir: '/dev/null/wormwatch', dnsServer: '127.0.0.1:9' }));
    await notifier.start();
    try {
      notifier.notify(detection('45.33.32.156'));
      const up = (await metrics.registry.getSingleMetric('wormwatch_outbox_up')!.get()).values[0]!.value;
      assert.equal(up, 0);
    } finally {
      await notifier.stop();
    }
    const dropped = (await metrics.registry.getSingleMetric('wormwatch_notices_dropped_total')!.get()).values.find((v) => v.labels.reason === 'unwritten-at-exit')!.value;
    assert.equal(dropped, 1, 'what could not be written at exit is counted, not silently lost');
  });
});
