import { strict as assert } from 'node:assert';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import { rawRequest, statusOf } from '../helpers/raw-http.js';

/**
 * The forward builds the origin's path itself (http-proxy-3 runs with `toProxy` and
 * `prependPath: false`, so the library's URL parsing never sees it): an upstream's base path is
 * prefixed, and the client's bytes follow unparsed, whatever they hold.
 */
describe('proxy: the path the origin gets, behind an upstream with a base path', () => {
  let origin: Origin;
  let proxy: TestProxy;
  before(async () => {
    origin = await startOrigin();
    proxy = await startProxy({ upstream: `${origin.url}/app/` });
  });
  after(async () => {
    await proxy.close();
    await origin.close();
  });

  const forwarded = async (line: string, host = 'site'): Promise<string> => {
    const raw = await rawRequest(proxy.port, `${line}\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    assert.equal(statusOf(raw), 200, raw);
    return origin.requests.at(-1)!.url!;
  };

  it('prefixes the base path and keeps dot segments, backslashes, escapes and a bare ? as sent', async () => {
    assert.equal(await forwarded('GET /x/../a\\b/%2e%2E/c? HTTP/1.1'), '/app/x/../a\\b/%2e%2E/c?');
    assert.equal(await forwarded('GET //double//slash?q=%00 HTTP/1.1'), '/app//double//slash?q=%00');
  });

  it('sends an absolute-form request for its own host as the base path plus the path only', async () => {
    assert.equal(await forwarded('GET http://shop.example/cart?x=1 HTTP/1.1', 'shop.example'), '/app/cart?x=1');
  });
});
