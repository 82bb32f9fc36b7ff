import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baseUrlsFor, loadBootstrap, updateBootstrap } from '../../src/rdap/index.js';
import { installNetworkGuard } from '../helpers/no-network.js';
import { startRdapServer, type TestRdapServer } from '../helpers/rdap-server.js';

const shipped = (name: string) => readFile(new URL(`../../src/rdap/data/${name}`, import.meta.url), 'utf8');

describe('rdap update-bootstrap (loopback server standing in for data.iana.org)', () => {
  let server: TestRdapServer;
  let dir: string;
  let uninstall: () => void;

  before(() => (uninstall = installNetworkGuard()));
  after(() => uninstall());
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ww-bootstrap-'));
    server = await startRdapServer({
      '/rdap/ipv4.json': { body: await shipped('ipv4.json'), headers: { 'content-type': 'application/json' } },
      '/rdap/ipv6.json': { body: await shipped('ipv6.json'), headers: { 'content-type': 'application/json' } },
    });
  });
  afterEach(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('fetches both files, writes them unchanged and reports their publication dates', async () => {
    const got = await updateBootstrap({ from: `${server.origin}/rdap/`, to: dir });
    assert.deepEqual([got.ipv4.publication, got.ipv6.publication], ['2019-06-07T19:00:02Z', '2024-11-01T22:00:01Z']);
    assert.deepEqual([got.ipv4.prefixes, got.ipv6.prefixes], [221, 34]);
    assert.equal(await readFile(join(dir, 'ipv4.json'), 'utf8'), await shipped('ipv4.json'));
    assert.deepEqual((await readdir(dir)).sort(), ['ipv4.json', 'ipv6.json'], 'no temporary files left behind');
    assert.deepEqual(baseUrlsFor('193.0.6.139', await loadBootstrap(dir)), ['https://rdap.db.ripe.net/']);
  });

  it('replaces neither file when one of them has the wrong shape', async () => {
    await writeFile(join(dir, 'ipv4.json'), 'previous v4');
    await writeFile(join(dir, 'ipv6.json'), 'previous v6');
    server.route('/rdap/ipv6.json', { body: { version: '1.0', publication: '2026-01-01T00:00:00Z', services: [[['10.0.0.0/8'], ['https://x.example/']]] } });
    await assert.rejects(updateBootstrap({ from: `${server.origin}/rdap`, to: dir }), /ipv6\.json is not an RDAP bootstrap file for IPv6.*not an IPv6 prefix/);
    assert.equal(await readFile(join(dir, 'ipv4.json'), 'utf8'), 'previous v4');
    assert.equal(await readFile(join(dir, 'ipv6.json'), 'utf8'), 'previous v6');
  });

  it('says what failed for an HTTP error, bad JSON or a server that does not answer', async () => {
    server.route('/rdap/ipv4.json', { status: 503 });
    await assert.rejects(updateBootstrap({ from: `${server.origin}/rdap/`, to: dir }), /ipv4\.json answered HTTP 503/);
    server.route('/rdap/ipv4.json', { body: '<html>maintenance</html>' });
    await assert.rejects(updateBootstrap({ from: `${server.origin}/rdap/`, to: dir }), /ipv4\.json is not valid JSON/);
    server.route('/rdap/ipv4.json', { body: {}, delayMs: 1000 });
    await assert.rejects(updateBootstrap({ from: `${server.origin}/rdap/`, to: dir, timeoutMs: 100 }), /did not answer in time/);
  });
});
