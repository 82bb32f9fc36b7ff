import assert from 'node:assert/strict';
import { openGeoIp, type GeoIp } from '../../src/geoip/index.js';
import { defaultEngine } from '../../src/rules/index.js';
import { runScan } from '../../src/scan/index.js';
import { networkLabel, topNetworks } from '../../src/scan/networks.js';
import { renderSummary } from '../../src/scan/render.js';
import { CODERED, fixtureDir, type FixtureDir } from './fixtures.js';

/** The fixture's CodeRed line, sent from another address. */
const from = (ip: string): string => CODERED.replace(/^\S+/, ip);

describe('wormwatch scan: top networks and countries (--geoip)', function () {
  this.timeout(30_000); // opening the packaged databases takes about half a second on a busy machine
  let geo: GeoIp;
  let fx: FixtureDir;
  before(async () => {
    geo = await openGeoIp({});
  });
  beforeEach(() => {
    fx = fixtureDir();
  });
  afterEach(() => fx.remove());

  it('groups the offending addresses by autonomous system and country, most addresses first', async () => {
    // Two Google resolvers (three hits), one Cloudflare, one private address (no network).
    const file = fx.write('access.log', [from('8.8.8.8'), from('8.8.8.8'), from('8.8.4.4'), from('1.1.1.1'), from('10.0.0.7')]);
    const engine = defaultEngine();
    const summary = await runScan({ files: [file], format: 'auto', networkOf: (ip) => geo.lookup(ip) }, { engine: () => engine, onDetection: () => {} });
    assert.deepEqual(summary.topNetworks.map((r) => [r.asn, r.addresses, r.detections]), [[15169, 2, 3], [13335, 1, 1]]);
    assert.equal(summary.topCountries[0]?.country, 'US');
    assert.equal(summary.topCountries[0]?.addresses, 2);
    const google = summary.topOffenders.find((o) => o.ip === '8.8.8.8');
    assert.equal(google?.asn, 15169);
    const text = renderSummary(summary);
    assert.match(text, /Top networks \(offending addresses, detections\):\n {2}AS15169, [^\n]+ 2 addresses +3\n/);
    assert.match(text, /Top countries/);
    assert.match(text, /8\.8\.8\.8 +2 {2}codered {2}\(AS15169, [^)]+, US\)/);
    assert.match(text, /10\.0\.0\.7 +1 {2}codered\n/, 'a private address gets no network');
  });

  it('says nothing of networks without --geoip', async () => {
    const file = fx.write('access.log', [from('8.8.8.8')]);
    const engine = defaultEngine();
    const summary = await runScan({ files: [file], format: 'auto' }, { engine: () => engine, onDetection: () => {} });
    assert.deepEqual([summary.topNetworks, summary.topCountries], [[], []]);
    assert.equal(summary.topOffenders[0]?.asn, undefined);
    assert.doesNotMatch(renderSummary(summary), /Top networks|Top countries/);
  });

  it('caps each list at ten rows and labels partial knowledge', () => {
    const addresses = Array.from({ length: 30 }, (_, i): [string, { detections: number }] => [`192.0.2.${i}`, { detections: 1 }]);
    const r = topNetworks(addresses, (ip) => ({ asn: Number(ip.split('.')[3]), asOrg: null, country: `C${ip.split('.')[3]}` }));
    assert.equal(r.networks.length, 10);
    assert.equal(r.countries.length, 10);
    assert.equal(networkLabel({ asn: 64500, asOrg: null, country: null }), 'AS64500');
    assert.equal(networkLabel({ asn: null, asOrg: null, country: 'DE' }), 'DE');
  });
});
