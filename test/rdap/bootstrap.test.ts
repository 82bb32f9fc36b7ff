import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baseUrlsFor, BootstrapError, loadBootstrap, SHIPPED_BOOTSTRAP, validateBootstrapFile, type Bootstrap } from '../../src/rdap/index.js';

const file = (services: [string[], string[]][]) => ({ version: '1.0', publication: '2026-01-01T00:00:00Z', services });

describe('RDAP bootstrap registry (RFC 9224)', () => {
  it('ships the IANA files byte for byte, with their publication dates', async () => {
    const digest = async (name: string) => createHash('sha256').update(await readFile(new URL(`../../src/rdap/data/${name}`, import.meta.url))).digest('hex');
    assert.equal(await digest('ipv4.json'), 'f6ad30d1ebbd16fed6121e1eb54ae7db86edbf5e425345a040aa7893b0447d78');
    assert.equal(await digest('ipv6.json'), '3292eb71787b903f7a6798ff31f7f2239fb61ce346be142a3719ffa26deaf080');
    assert.equal(SHIPPED_BOOTSTRAP.ipv4.publication, '2019-06-07T19:00:02Z');
    assert.equal(SHIPPED_BOOTSTRAP.ipv6.publication, '2024-11-01T22:00:01Z');
  });

  it('finds each RIR for addresses in its space in the shipped copy, https first', () => {
    assert.deepEqual(baseUrlsFor('193.0.6.139', SHIPPED_BOOTSTRAP), ['https://rdap.db.ripe.net/']);
    assert.deepEqual(baseUrlsFor('8.8.8.8', SHIPPED_BOOTSTRAP), ['https://rdap.arin.net/registry/', 'http://rdap.arin.net/registry/']);
    assert.deepEqual(baseUrlsFor('1.1.1.1', SHIPPED_BOOTSTRAP), ['https://rdap.apnic.net/']);
    assert.deepEqual(baseUrlsFor('41.1.2.3', SHIPPED_BOOTSTRAP), ['https://rdap.afrinic.net/rdap/', 'http://rdap.afrinic.net/rdap/']);
    assert.deepEqual(baseUrlsFor('200.57.141.161', SHIPPED_BOOTSTRAP), ['https://rdap.lacnic.net/rdap/']);
    assert.deepEqual(baseUrlsFor('2a00:1450::1', SHIPPED_BOOTSTRAP), ['https://rdap.db.ripe.net/']);
    assert.deepEqual(baseUrlsFor('2410::1', SHIPPED_BOOTSTRAP), ['https://rdap.apnic.net/'], 'the 2024-11-01 addition');
    assert.deepEqual(baseUrlsFor('::ffff:8.8.8.8', SHIPPED_BOOTSTRAP)[0], 'https://rdap.arin.net/registry/');
  });

  it('answers nothing for unlisted space and for non-addresses', () => {
    assert.deepEqual(baseUrlsFor('10.0.0.1', SHIPPED_BOOTSTRAP), []);
    assert.deepEqual(baseUrlsFor('fd00::1', SHIPPED_BOOTSTRAP), []);
    // 2001:db8::/32 (documentation) lies inside APNIC's 2001:c00::/23: the notifier's policy, not the bootstrap, keeps it out.
    assert.deepEqual(baseUrlsFor('2001:db8::1', SHIPPED_BOOTSTRAP), ['https://rdap.apnic.net/']);
    assert.deepEqual(baseUrlsFor('not-an-ip', SHIPPED_BOOTSTRAP), []);
    assert.deepEqual(baseUrlsFor('127.1', SHIPPED_BOOTSTRAP), []);
  });

  it('chooses the longest matching prefix, whatever the order of the services', () => {
    const b: Bootstrap = {
      ipv4: file([[['10.0.0.0/8'], ['https://wide.example/']], [['10.1.2.0/24'], ['https://narrow.example/']], [['10.1.0.0/16'], ['http://plain.example/', 'https://middle.example/']]]),
      ipv6: file([[['2001:db8::/32'], ['https://six.example/']]]),
    };
    assert.deepEqual(baseUrlsFor('10.1.2.3', b), ['https://narrow.example/']);
    assert.deepEqual(baseUrlsFor('10.1.9.9', b), ['https://middle.example/', 'http://plain.example/']);
    assert.deepEqual(baseUrlsFor('10.200.0.1', b), ['https://wide.example/']);
    assert.deepEqual(baseUrlsFor('2001:db8:1::1', b), ['https://six.example/']);
  });

  const bad: [string, unknown, RegExp][] = [
    ['a non-object', [], /not a JSON object/],
    ['no services', { version: '1.0', publication: '2026-01-01T00:00:00Z' }, /"services" is not an array/],
    ['an IPv6 prefix in the IPv4 file', file([[['2001:db8::/32'], ['https://x.example/']]]), /not an IPv4 prefix/],
    ['host bits in a prefix', file([[['10.0.0.1/8'], ['https://x.example/']]]), /not an IPv4 prefix/],
    ['a non-http base URL', file([[['10.0.0.0/8'], ['ftp://x.example/']]]), /not an http\(s\) base URL/],
    ['credentials in a base URL', file([[['10.0.0.0/8'], ['https://u:p@x.example/']]]), /not an http\(s\) base URL/],
    ['a bad publication date', { ...file([[['10.0.0.0/8'], ['https://x.example/']]]), publication: 'yesterday' }, /"publication" is not a date/],
  ];
  for (const [what, json, why] of bad) {
    it(`refuses a bootstrap file with ${what}, saying why`, () => {
      assert.throws(() => validateBootstrapFile(json, 4, 'test.json'), (err: Error) => err instanceof BootstrapError && why.test(err.message) && /test\.json/.test(err.message));
    });
  }

  describe('--rdap-bootstrap FILE', () => {
    let dir: string;
    beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'ww-rdap-'))));
    afterEach(() => rm(dir, { recursive: true, force: true }));

    it('reads a directory holding IANA ipv4.json and ipv6.json', async () => {
      await writeFile(join(dir, 'ipv4.json'), JSON.stringify(file([[['10.0.0.0/8'], ['https://ten.example/']]])));
      await writeFile(join(dir, 'ipv6.json'), JSON.stringify(file([[['2001:db8::/32'], ['https://six.example/']]])));
      const b = await loadBootstrap(dir);
      assert.deepEqual(baseUrlsFor('10.9.9.9', b), ['https://ten.example/']);
    });

    it('reads one file with "ipv4" and "ipv6"', async () => {
      const path = join(dir, 'both.json');
      await writeFile(path, JSON.stringify({ ipv4: file([[['10.0.0.0/8'], ['https://ten.example/']]]), ipv6: file([[['2001:db8::/32'], ['https://six.example/']]]) }));
      assert.deepEqual(baseUrlsFor('2001:db8::5', await loadBootstrap(path)), ['https://six.example/']);
    });

    it('gives a clear error for a missing file, bad JSON or a wrong shape', async () => {
      await assert.rejects(loadBootstrap(join(dir, 'nope.json')), /cannot read the RDAP bootstrap .*nope\.json \(ENOENT\)/);
      await writeFile(join(dir, 'bad.json'), '{oops');
      await assert.rejects(loadBootstrap(join(dir, 'bad.json')), /is not valid JSON/);
      await writeFile(join(dir, 'shape.json'), JSON.stringify({ ipv4: file([[['10.0.0.0/8'], ['https://ten.example/']]]) }));
      await assert.rejects(loadBootstrap(join(dir, 'shape.json')), /"ipv6".*not a JSON object/);
    });
  });
});
