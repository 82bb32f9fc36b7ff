import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { ConfigError } from '../../src/errors.js';
import { GeoIpError, openGeoIp } from '../../src/geoip/index.js';
import { openPackagedAsn, packagedPath, PACKAGED } from '../../src/geoip/sources.js';
import { writeMmdb, type MmdbEntry } from './mmdb-writer.js';

const HOSTILE_ORG = `Evil\r\nBcc: victim@example.com\u001b[31m\u202eKCATTA ${'x'.repeat(10_000)}`;

// GeoLite2-ASN's record shape, with hostile values where a real file could hold anything.
const ASN_ENTRIES: MmdbEntry[] = [
  { network: '45.33.32.0/24', record: { autonomous_system_number: 63949, autonomous_system_organization: 'Akamai Connected Cloud' } },
  { network: '2600:3c00::/32', record: { autonomous_system_number: 63949, autonomous_system_organization: 'Akamai Connected Cloud' } },
  { network: '8.8.8.0/24', record: { autonomous_system_number: 15169, autonomous_system_organization: HOSTILE_ORG } },
  { network: '9.9.9.0/24', record: { autonomous_system_number: 'AS19281', autonomous_system_organization: 'Quad9' } },
  { network: '1.1.1.0/24', record: { autonomous_system_number: 0, autonomous_system_organization: 'none' } },
  { network: '4.4.4.0/24', record: JSON.parse('{"__proto__": {"autonomous_system_number": 3356}}') as MmdbEntry['record'] },
  { network: '5.5.5.0/24', record: { autonomous_system_number: 64496, autonomous_system_organization: 'CORRUPTME' } },
];

// GeoLite2-Country's record shape.
const COUNTRY_ENTRIES: MmdbEntry[] = [
  { network: '45.33.32.0/24', record: { country: { iso_code: 'US', names: { en: 'United States' } }, registered_country: { iso_code: 'US' } } },
  { network: '2600:3c00::/32', record: { country: { iso_code: 'US' } } },
  { network: '8.8.8.0/24', record: { country: { iso_code: '<script>' } } },
  { network: '9.9.9.0/24', record: { registered_country: { iso_code: 'ch' } } },
  { network: '1.1.1.0/24', record: { country: { iso_code: 'XK' } } },
];

describe('geoip with the user’s own database files', () => {
  let dir: string;
  let asnDb: string;
  let countryDb: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'wormwatch-geoip-'));
    asnDb = path.join(dir, 'GeoLite2-ASN.mmdb');
    countryDb = path.join(dir, 'GeoLite2-Country.mmdb');
    await writeFile(asnDb, writeMmdb({ databaseType: 'GeoLite2-ASN', entries: ASN_ENTRIES }));
    await writeFile(countryDb, writeMmdb({ databaseType: 'GeoLite2-Country', entries: COUNTRY_ENTRIES }));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads GeoLite2-ASN and GeoLite2-Country files, IPv4 and IPv6', async () => {
    const geo = await openGeoIp({ asnDb, countryDb });
    assert.deepEqual(geo.lookup('45.33.32.156'), { asn: 63949, asOrg: 'Akamai Connected Cloud', country: 'US' });
    assert.deepEqual(geo.lookup('2600:3c00::f03c:91ff:fe18:bb2f'), { asn: 63949, asOrg: 'Akamai Connected Cloud', country: 'US' });
    assert.deepEqual(geo.lookup('::ffff:45.33.32.156'), geo.lookup('45.33.32.156'));
    assert.deepEqual(geo.lookup('100.1.1.1'), { asn: null, asOrg: null, country: null }, 'not in the file');
    assert.deepEqual(geo.sources.asn, { origin: 'user', files: [asnDb], description: 'GeoLite2-ASN', built: '2026-05-28' });
    assert.match(geo.attribution, /GeoLite2 data created by MaxMind/);
    assert.doesNotMatch(geo.attribution, /DB-IP/);
  });

  it('keeps hostile values out: a bounded one-line organisation, ISO codes only, no __proto__ fields', async () => {
    const geo = await openGeoIp({ asnDb, countryDb });
    const google = geo.lookup('8.8.8.8');
    assert.equal(google.asn, 15169);
    assert.match(google.asOrg ?? '', /^Evil Bcc: victim@example\.com \[31m KCATTA x+$/);
    assert.equal(google.asOrg?.length, 128);
    assert.equal(google.country, null, '<script> is no country code');
    assert.deepEqual(geo.lookup('9.9.9.9'), { asn: null, asOrg: null, country: 'CH' }, 'string AS number refused; registered_country upper-cased');
    assert.deepEqual(geo.lookup('1.1.1.1'), { asn: null, asOrg: null, country: null }, 'AS 0 and XK refused');
    assert.equal(geo.lookup('4.4.4.4').asn, null);
  });

  it('gives nulls, without throwing, for a record corrupted after the checks at open', async () => {
    const bytes = writeMmdb({ databaseType: 'GeoLite2-ASN', entries: ASN_ENTRIES });
    const at = bytes.indexOf('CORRUPTME') - 1;
    // The string's control byte becomes a 4-byte pointer to far past the end of the file.
    Buffer.from([0x38, 0xff, 0xff, 0xff, 0xff]).copy(bytes, at);
    const file = path.join(dir, 'corrupt-record.mmdb');
    await writeFile(file, bytes);
    const geo = await openGeoIp({ asnDb: file, countryDb });
    assert.deepEqual(geo.lookup('5.5.5.5'), { asn: null, asOrg: null, country: null });
    assert.equal(geo.lookup('45.33.32.156').asn, 63949, 'the rest of the file still answers');
  });

  it('uses a copy of the packaged country file given as --geoip-country-db like the packaged one', async () => {
    const packaged = packagedPath(PACKAGED.country.pkg, PACKAGED.country.files[0]);
    assert.ok(packaged);
    const copy = path.join(dir, 'my-country.mmdb');
    await copyFile(packaged, copy);
    const geo = await openGeoIp({ asnDb, countryDb: copy });
    assert.equal(geo.sources.country.origin, 'user');
    assert.equal(geo.lookup('8.8.8.8').country, 'US');
    assert.equal(geo.lookup('2001:4860:4860::8888').country, 'US');
  });

  describe('unusable files: one clear error at open naming the file and the fix', () => {
    async function openError(opts: { asnDb?: string; countryDb?: string }): Promise<GeoIpError> {
      const err = await openGeoIp({ asnDb, countryDb, ...opts }).then(
        () => assert.fail('opened'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof GeoIpError, String(err));
      assert.ok(err instanceof ConfigError && err.code === 'ERR_CONFIG', 'the CLI prints it as a usage error');
      assert.doesNotMatch(err.message, /\n/);
      return err;
    }

    it('a missing file', async () => {
      const missing = path.join(dir, 'nope', 'GeoLite2-ASN.mmdb');
      const err = await openError({ asnDb: missing });
      assert.equal(err.message, `--geoip-asn-db ${missing}: no such file; give --geoip-asn-db the path of a GeoLite2-ASN.mmdb file (not the .tar.gz it comes in), or leave the option out to use the packaged data`);
    });

    it('a directory', async () => {
      assert.match((await openError({ countryDb: dir })).message, new RegExp(`^--geoip-country-db ${dir}: is a directory; give --geoip-country-db the path of a GeoLite2-Country\\.mmdb`));
    });

    it('a device or FIFO, which would block the read', async () => {
      assert.match((await openError({ countryDb: '/dev/null' })).message, /^--geoip-country-db \/dev\/null: is not a regular file; give/);
    });

    it('random bytes, an empty file and a truncated copy', async () => {
      const packaged = await readFile(packagedPath(PACKAGED.country.pkg, PACKAGED.country.files[0])!);
      const files = { random: Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) & 0xff)), empty: Buffer.alloc(0), truncated: packaged.subarray(0, 1 << 20) };
      for (const [name, bytes] of Object.entries(files)) {
        const file = path.join(dir, `${name}.mmdb`);
        await writeFile(file, bytes);
        assert.match((await openError({ countryDb: file })).message, new RegExp(`^--geoip-country-db ${file}: not a MaxMind DB file \\(.+\\); give`), name);
      }
    });

    it('the .tar.gz or .gz download instead of the .mmdb', async () => {
      const file = path.join(dir, 'GeoLite2-ASN.mmdb.gz');
      await writeFile(file, gzipSync(await readFile(asnDb)));
      assert.match((await openError({ asnDb: file })).message, /: is gzip-compressed \(extract the \.mmdb file first, e\.g\. tar xzf\); give --geoip-asn-db/);
    });

    it('a country database given as the ASN one', async () => {
      assert.match((await openError({ asnDb: countryDb })).message, /: is a "GeoLite2-Country" database, not an ASN one; /);
      const packaged = packagedPath(PACKAGED.country.pkg, PACKAGED.country.files[0])!;
      assert.match((await openError({ asnDb: packaged })).message, /: is a "country ipvAll" database, not an ASN one/);
    });

    it('metadata whose search tree does not fit in the file', async () => {
      const file = path.join(dir, 'lying.mmdb');
      const bytes = writeMmdb({ databaseType: 'GeoLite2-ASN', entries: ASN_ENTRIES, metadata: { node_count: 10_000_000 } });
      await writeFile(file, bytes);
      assert.match((await openError({ asnDb: file })).message, /: corrupt \(search tree of 10000000 nodes does not fit in \d+ bytes\)/);
    });

    it('a record the probes at open cannot decode', async () => {
      const bytes = writeMmdb({ databaseType: 'GeoLite2-ASN', entries: ASN_ENTRIES });
      Buffer.from([0x38, 0xff, 0xff, 0xff, 0xff]).copy(bytes, bytes.indexOf('Akamai Connected Cloud') - 1);
      const file = path.join(dir, 'corrupt-probe.mmdb');
      await writeFile(file, bytes);
      assert.match((await openError({ asnDb: file })).message, /: corrupt \(looking up 45\.33\.32\.156: /);
    });
  });

  it('refuses a cache size out of bounds', async () => {
    for (const cacheMax of [0, -1, 1.5, 2_000_000, NaN]) {
      await assert.rejects(openGeoIp({ asnDb, countryDb, cacheMax }), /invalid GeoIP cache size/);
    }
  });

  describe('packaged ASN data that is missing or damaged', () => {
    it('says which file is missing and to reinstall', async () => {
      const empty = path.join(dir, 'empty-package');
      await mkdir(empty);
      await assert.rejects(openPackagedAsn(empty), (err: unknown) =>
        err instanceof GeoIpError && err.message === `packaged ASN data ${path.join(empty, 'asn-ipv4-num.csv')}: no such file; reinstall the dependencies (npm ci), or give --geoip-asn-db FILE (a GeoLite2-ASN.mmdb)`);
    });

    it('names the file and line of a corrupt row', async () => {
      const damaged = path.join(dir, 'damaged-package');
      await mkdir(damaged);
      await writeFile(path.join(damaged, 'asn-ipv4-num.csv'), '16777216,16777471,13335,"Cloudflare, Inc."\n');
      await writeFile(path.join(damaged, 'asn-ipv6-num.csv'), '1,2,3,ok\n\u0000\u0001binary\n');
      await assert.rejects(openPackagedAsn(damaged), (err: unknown) =>
        err instanceof GeoIpError && err.message.startsWith(`packaged ASN data ${path.join(damaged, 'asn-ipv6-num.csv')}: corrupt (line 2: expected 4 comma-separated fields); reinstall`));
    });

    it('finds no package that is not installed', () => {
      assert.equal(packagedPath('@ip-location-db/not-installed-here', 'x.mmdb'), null);
    });
  });
});
