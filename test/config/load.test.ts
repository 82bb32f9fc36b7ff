import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOptions } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.equal(err.code, 'ERR_CONFIG');
    assert.ok(!err.message.includes('\n'), `message must be one line: ${err.message}`);
    return err;
  }
  assert.fail('expected a ConfigError');
}

describe('config loading', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'wormwatch-config-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function file(name: string, text: string): string {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  }

  it('gives the defaults when nothing is set', () => {
    const o = loadOptions({ env: {} });
    assert.equal(o.offenderMax, 100_000);
    assert.equal(o.offenderTtl, 86_400_000);
    assert.deepEqual(o.listen, { host: '0.0.0.0', port: 8080 });
    assert.equal(o.upstream, undefined);
  });

  it('takes flags over environment over file over defaults', () => {
    const yaml = file('precedence.yaml', 'offenderMax: 10\noffenderSamples: 7\noffenderTtl: 1h\n');
    const o = loadOptions({
      flags: { offenderMax: '30' },
      env: { WORMWATCH_OFFENDER_MAX: '20', WORMWATCH_OFFENDER_SAMPLES: '8' },
      file: yaml,
    });
    assert.equal(o.offenderMax, 30, 'flag wins over env and file');
    assert.equal(o.offenderSamples, 8, 'env wins over file');
    assert.equal(o.offenderTtl, 3_600_000, 'file wins over default');
    assert.equal(o.mode, 'monitor', 'default when nobody sets it');
  });

  it('reads YAML and JSON files with typed values', () => {
    const y = loadOptions({ env: {}, file: file('c.yml', 'upstream: http://127.0.0.1:3000\ntrustProxy: [10.0.0.0/8, "::1/128"]\nmode: block\n') });
    assert.equal(y.upstream?.href, 'http://127.0.0.1:3000/');
    assert.deepEqual(y.trustProxy, ['10.0.0.0/8', '::1/128']);
    assert.equal(y.mode, 'block');
    const j = loadOptions({ env: {}, file: file('c.json', JSON.stringify({ adminListen: '127.0.0.1:9999', offenderMax: 5 })) });
    assert.deepEqual(j.adminListen, { host: '127.0.0.1', port: 9999 });
    assert.equal(j.offenderMax, 5);
  });

  it('finds the file through WORMWATCH_CONFIG', () => {
    const o = loadOptions({ env: { WORMWATCH_CONFIG: file('via-env.yaml', 'blockStatus: 451\n') } });
    assert.equal(o.blockStatus, 451);
  });

  it('rejects an unknown key in the file with one line naming it and a suggestion', () => {
    const err = configError(() => loadOptions({ env: {}, file: file('typo.yaml', 'offenderMaxx: 10\n') }));
    assert.match(err.message, /unknown option "offenderMaxx"/);
    assert.match(err.message, /did you mean offenderMax\?/);
  });

  it('rejects an unknown WORMWATCH_ variable with one line naming it', () => {
    const err = configError(() => loadOptions({ env: { WORMWATCH_OFENDER_MAX: '3', PATH: '/bin' } }));
    assert.match(err.message, /WORMWATCH_OFENDER_MAX/);
    assert.match(err.message, /WORMWATCH_OFFENDER_MAX/);
  });

  it('names the flag, variable or file key of a bad value and what it expects', () => {
    assert.match(configError(() => loadOptions({ env: {}, flags: { offenderMax: 'lots' } })).message, /--offender-max.*"lots".*integer/);
    assert.match(configError(() => loadOptions({ env: { WORMWATCH_OFFENDER_TTL: 'forever' } })).message, /WORMWATCH_OFFENDER_TTL.*duration/);
    assert.match(configError(() => loadOptions({ env: {}, file: file('bad.json', '{"mode":"panic"}') })).message, /mode in .*bad\.json.*monitor, block/);
    assert.match(configError(() => loadOptions({ env: {}, flags: { upstream: 'ftp://x' } })).message, /--upstream/);
  });

  it('reports an unreadable or unparsable file in one line', () => {
    assert.match(configError(() => loadOptions({ env: {}, file: join(dir, 'missing.yaml') })).message, /cannot read --config .*ENOENT/);
    assert.match(configError(() => loadOptions({ env: {}, file: file('broken.json', '{"mode": ') })).message, /cannot parse --config/);
    assert.match(configError(() => loadOptions({ env: {}, file: file('list.yaml', '- a\n- b\n') })).message, /must hold a mapping/);
  });
});
