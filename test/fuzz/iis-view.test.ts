import assert from 'node:assert/strict';
import { defaultEngine } from '../../src/rules/index.js';
import { iisView, passThrough, removeDotSegments } from './iis-view.js';

describe('the IIS view of a request-target (what the origin would run)', () => {
  it('removes dot segments as RFC 3986 section 5.2.4 does', () => {
    const cases: Array<[string, string]> = [
      ['/a/b/c/./../../g', '/a/g'],
      ['/a/..', '/'],
      ['/..', '/'],
      ['/a/./b/', '/a/b/'],
      ['/a/b/..', '/a/'],
    ];
    for (const [path, resolved] of cases) assert.equal(removeDotSegments(path), resolved, path);
  });

  it('decodes twice, folds backslashes and overlong slashes, drops ::$DATA, then removes dot segments', () => {
    assert.deepEqual(iisView('/x/%2e%2e/DEFAULT.%69da?NNN'), { path: '/default.ida', query: 'NNN' });
    assert.equal(iisView('/scripts/..%255c../winnt/system32/cmd.exe?/c+dir').path, '/winnt/system32/cmd.exe');
    assert.equal(iisView('/scripts/..%c0%af../winnt/system32/cmd.exe').path, '/winnt/system32/cmd.exe');
    assert.equal(iisView('/default.ida::$DATA?x').path, '/default.ida');
    assert.equal(iisView(`/${'a'.repeat(9000)}/../default.ida?x`).path, '/default.ida');
    assert.equal(iisView('http://h.test/a/../b?q').path, '/b');
  });

  it('flags what block mode promised to stop, however it is written, and nothing harmless', () => {
    const engine = defaultEngine();
    const flagged = (target: string): string | undefined => passThrough(engine, { method: 'GET', target, headers: {} })?.by;
    assert.equal(flagged(`/default.ida?${'N'.repeat(224)}`), 'engine');
    // The engine resolves dot segments itself now; either way it is flagged.
    assert.ok(['engine', 'engine-iis-view'].includes(flagged(`/x/../default.%69da?${'N'.repeat(224)}`) ?? ''));
    assert.equal(flagged('/default.ida/extra?x'), 'script');
    assert.ok(['engine', 'script'].includes(flagged('/MSADC/root.exe::$DATA/x') ?? ''));
    for (const harmless of ['/', '/a/./b/../c.html?q=1', '/search?q=default.ida', '/downloads/chroot.exe.zip', '/docs/cmd-exe.html']) {
      assert.equal(flagged(harmless), undefined, harmless);
    }
  });
});
