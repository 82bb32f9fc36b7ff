import assert from 'node:assert/strict';
import { ISO_COUNTRY_CODES, isoCountry } from '../../src/geoip/countries.js';
import { AS_ORG_MAX, asFromRecord, countryFromRecord, formatGeoInfo, sanitiseAsOrg, validAsn } from '../../src/geoip/records.js';

describe('geoip records', () => {
  describe('country codes', () => {
    it('holds the 249 assigned ISO 3166-1 alpha-2 codes, each a region Intl can name', () => {
      assert.equal(ISO_COUNTRY_CODES.size, 249);
      const names = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
      for (const code of ISO_COUNTRY_CODES) {
        assert.match(code, /^[A-Z]{2}$/);
        assert.ok(names.of(code), `${code} has no region name`);
      }
    });

    it('upper-cases a valid code and refuses user-assigned, withdrawn and made-up ones', () => {
      assert.equal(isoCountry('us'), 'US');
      assert.equal(isoCountry('DE'), 'DE');
      for (const raw of ['XK', 'AN', 'EU', 'AP', 'ZZ', 'U', 'USA', '<b', '', 'u\u0073', 7, null, { toUpperCase: () => 'US' }]) {
        assert.equal(isoCountry(raw), raw === 'u\u0073' ? 'US' : null, String(raw));
      }
    });
  });

  describe('AS organisation', () => {
    it('keeps a clean name as it is, accents included', () => {
      assert.equal(sanitiseAsOrg('Google LLC'), 'Google LLC');
      assert.equal(sanitiseAsOrg('Telefônica Brasil S.A'), 'Telefônica Brasil S.A');
    });

    it('removes line breaks, terminal escapes, bidi overrides and zero-width characters', () => {
      const out = sanitiseAsOrg('Evil\r\nBcc: victim@example.com\u001b[31m \u202eKCATTA\u200b\u00ad Net\t\u0000');
      assert.equal(out, 'Evil Bcc: victim@example.com [31m KCATTA Net');
    });

    it(`cuts a long name to ${AS_ORG_MAX} code points without splitting a surrogate pair`, () => {
      assert.equal(sanitiseAsOrg('😀'.repeat(1000)), '😀'.repeat(AS_ORG_MAX));
      assert.equal(sanitiseAsOrg(`${'a'.repeat(200)}`)?.length, AS_ORG_MAX);
    });

    it('gives null for an empty, blank or non-string name', () => {
      for (const raw of ['', '   ', '\u0000\u0007\r\n', 42, null, undefined, ['x']]) assert.equal(sanitiseAsOrg(raw), null, String(raw));
    });
  });

  describe('record shapes', () => {
    it('reads the GeoLite2-ASN shape (also DB-IP and @ip-location-db asn-mmdb)', () => {
      assert.deepEqual(asFromRecord({ autonomous_system_number: 63949, autonomous_system_organization: 'Akamai Connected Cloud' }), {
        asn: 63949,
        asOrg: 'Akamai Connected Cloud',
      });
      assert.deepEqual(asFromRecord({ autonomous_system_number: 64496 }), { asn: 64496, asOrg: null });
    });

    it('refuses AS numbers that are not integers from 1 to 4294967295', () => {
      for (const raw of [0, -1, 1.5, 2 ** 32, '15169', 15169n, NaN, null]) assert.equal(validAsn(raw), null, String(raw));
      assert.equal(validAsn(4294967295), 4294967295);
      assert.deepEqual(asFromRecord({ autonomous_system_number: '15169', autonomous_system_organization: 'Google LLC' }), { asn: null, asOrg: null });
    });

    it('reads GeoLite2 country.iso_code, then registered_country, and @ip-location-db country_code', () => {
      assert.equal(countryFromRecord({ country: { iso_code: 'US', names: { en: 'United States' } }, registered_country: { iso_code: 'CA' } }), 'US');
      assert.equal(countryFromRecord({ registered_country: { iso_code: 'CH' } }), 'CH');
      assert.equal(countryFromRecord({ country_code: 'JP' }), 'JP');
      assert.equal(countryFromRecord({ country_code: 'XK', country: { iso_code: 'RS' } }), null, 'a flat code is authoritative');
    });

    it('ignores fields a hostile record smuggles in through __proto__', () => {
      const hostile: unknown = Object.create({ autonomous_system_number: 15169, country_code: 'US' });
      assert.deepEqual(asFromRecord(hostile), { asn: null, asOrg: null });
      assert.equal(countryFromRecord(hostile), null);
    });

    it('gives nulls for records of any other shape', () => {
      for (const rec of [null, undefined, 'US', 15169, [], { country: 'US' }, { country: { iso_code: ['US'] } }]) {
        assert.equal(countryFromRecord(rec), null);
        assert.deepEqual(asFromRecord(rec), { asn: null, asOrg: null });
      }
    });
  });

  describe('notice format', () => {
    it('writes (ASn, organisation, country) and leaves unknown parts out', () => {
      assert.equal(formatGeoInfo({ asn: 63949, asOrg: 'Akamai Connected Cloud', country: 'US' }), '(AS63949, Akamai Connected Cloud, US)');
      assert.equal(formatGeoInfo({ asn: 63949, asOrg: null, country: 'US' }), '(AS63949, US)');
      assert.equal(formatGeoInfo({ asn: null, asOrg: null, country: 'DE' }), '(DE)');
      assert.equal(formatGeoInfo({ asn: null, asOrg: null, country: null }), '');
    });
  });
});
