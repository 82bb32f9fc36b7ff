import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOptions } from '../../src/config/load.js';
import { assertNoticesStayLocal, assertServeFlagsStayLocal, NoticeGuardError } from './notice-guard.js';

const options = (flags: Record<string, unknown>) => loadOptions({ flags, env: {} });

describe('the notice guard of the test helpers', () => {
  it('fails a test that enables notices without --dns-server', () => {
    assert.throws(() => assertNoticesStayLocal(options({ notify: 'outbox', rdapUrl: 'http://127.0.0.1:9/' })), (e: Error) => e instanceof NoticeGuardError && /--dns-server is not set/.test(e.message));
  });

  it('fails a test whose --dns-server is off loopback', () => {
    assert.throws(() => assertNoticesStayLocal(options({ notify: 'outbox', dnsServer: '127.0.0.1:53,9.9.9.9', rdapUrl: 'http://127.0.0.1:9/' })), /--dns-server 9\.9\.9\.9 is not loopback/);
  });

  it('fails a test of the abuse tier (the default) without --rdap-url, or with one off loopback', () => {
    assert.throws(() => assertNoticesStayLocal(options({ notify: 'outbox', dnsServer: '127.0.0.1:5353' })), /--rdap-url is not set/);
    assert.throws(() => assertNoticesStayLocal(options({ notify: 'outbox', dnsServer: '127.0.0.1:5353', rdapUrl: 'https://rdap.db.ripe.net/' })), /--rdap-url rdap\.db\.ripe\.net is not loopback/);
  });

  it('accepts an --rdap-bootstrap whose registries are all on loopback, and fails one naming a real registry', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ww-guard-'));
    try {
      const file = (url: string) => JSON.stringify({ version: '1.0', publication: '2026-01-01T00:00:00Z', services: [[['193.0.0.0/8'], [url]]] });
      writeFileSync(join(dir, 'local.json'), JSON.stringify({ ipv4: JSON.parse(file('http://127.0.0.1:9/ripe/')), ipv6: JSON.parse(file('http://[::1]:9/')) }));
      writeFileSync(join(dir, 'real.json'), JSON.stringify({ ipv4: JSON.parse(file('https://rdap.db.ripe.net/')), ipv6: JSON.parse(file('http://127.0.0.1:9/')) }));
      assertNoticesStayLocal(options({ notify: 'outbox', dnsServer: '127.0.0.1:5353', rdapBootstrap: join(dir, 'local.json') }));
      assert.throws(() => assertNoticesStayLocal(options({ notify: 'outbox', dnsServer: '127.0.0.1:5353', rdapBootstrap: join(dir, 'real.json') })), /names registries off loopback \(https:\/\/rdap\.db\.ripe\.net\/\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails an --smtp-url off loopback, even with notices off (operator mail)', () => {
    assert.throws(() => assertNoticesStayLocal(options({ notify: 'off', smtpUrl: 'smtp://mail.example.net:25' })), /--smtp-url mail\.example\.net/);
  });

  it('lets through notices on loopback, the host tier alone without RDAP, and notices off', () => {
    assertNoticesStayLocal(options({ notify: 'outbox', dnsServer: '127.0.0.1:5353', rdapUrl: 'http://127.0.0.1:9/' }));
    assertNoticesStayLocal(options({ notify: 'outbox', dnsServer: '[::1]:5353', noticeTiers: 'host' }));
    assertNoticesStayLocal(options({ notify: 'off' }));
  });

  it('reads the flags of a serve child process the same way', () => {
    assert.throws(() => assertServeFlagsStayLocal(['serve', '--upstream', 'http://127.0.0.1:1', '--notify', 'outbox', '--rdap-url', 'http://127.0.0.1:9/']), /--dns-server is not set/);
    assertServeFlagsStayLocal(['serve', '--notify', 'outbox', '--dns-server', '127.0.0.1:5353', '--rdap-url', 'http://127.0.0.1:9/', '--log-level', 'info']);
  });
});
