import assert from 'node:assert/strict';
import { MissingPackageError, PACKAGES, requireFile, requireTool } from './system.js';

describe('test helpers: a missing system package is named in one line', () => {
  it('names the package and its install command, with no stack trace to read through', () => {
    const err = (() => {
      try {
        requireTool('wrk', '/nonexistent/bin/wrk');
      } catch (e) {
        return e as Error;
      }
      return null;
    })();
    assert.ok(err instanceof MissingPackageError);
    assert.equal(err.message, 'this test needs wrk (/nonexistent/bin/wrk not found): apt-get install -y wrk');
    assert.equal(err.stack?.split('\n').length, 1);
    assert.throws(() => requireFile('njs', '/nonexistent/ngx_http_js_module.so'), /apt-get install -y libnginx-mod-http-js/);
  });

  it('finds an installed one on PATH, and every package the README lists', () => {
    assert.match(requireTool('openssl'), /\/openssl$/);
    for (const p of Object.values(PACKAGES)) assert.match(p.install, /^apt-get install -y [a-z0-9 -]+$/);
  });
});
