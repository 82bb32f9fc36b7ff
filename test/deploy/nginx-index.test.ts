import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultEngine } from '../../src/rules/index.js';
import { buildNjsModule } from '../../src/njs/build.js';
import { buildNjsMap } from '../../src/njs/map.js';
import { VERSION } from '../../src/version.js';
import { renderNginxGeo } from '../../src/bans/nginx.js';
import { JS_MODULE, NGINX, adapt, readSnippet } from './nginx-support.js';
import { ROOT, run, tempDir } from './support.js';

const INCLUDES = ['front-tls.conf', '404-handoff.conf', 'mirror.conf', 'njs-inline.conf', 'bans.conf'];

describe('nginx.conf.example, the index of the nginx patterns', function () {
  this.timeout(30_000);
  const tmp = tempDir('nginx-index');
  const index = readFileSync(join(ROOT, 'nginx.conf.example'), 'utf8');

  before(async () => {
    mkdirSync(join(tmp.path, 'logs'));
    const gen = await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=localhost', '-keyout', join(tmp.path, 'example.key'), '-out', join(tmp.path, 'example.crt')]);
    assert.equal(gen.code, 0, gen.stderr);
    writeFileSync(join(tmp.path, 'wormwatch.js'), buildNjsModule(defaultEngine().signatures, VERSION));
    writeFileSync(join(tmp.path, 'wormwatch-map.conf'), buildNjsMap(defaultEngine().signatures, VERSION));
    // The geo include as `wormwatch bans export --format nginx` writes it: an address and a prefix.
    const until = Date.now() + 3_600_000;
    writeFileSync(join(tmp.path, 'wormwatch-bans.conf'), renderNginxGeo(['198.51.100.7', '2001:db8:1:2::/64'].map((key) => ({ key, since: 0, until, count: 1, reason: 'manual' as const, signature: null })), new Date()));
    // Each snippet with its paths pointed into the temporary folder, nothing else changed.
    const paths: Record<string, Record<string, string>> = {
      'front-tls.conf': { '/etc/nginx/tls/': `${tmp.path}/` },
      'njs-inline.conf': {
        '/etc/nginx/njs/wormwatch.js': join(tmp.path, 'wormwatch.js'),
        '/etc/nginx/njs/wormwatch-map.conf': join(tmp.path, 'wormwatch-map.conf'),
        '/var/log/nginx/': `${tmp.path}/logs/`,
      },
      'bans.conf': { '/etc/nginx/wormwatch-bans.conf': join(tmp.path, 'wormwatch-bans.conf') },
    };
    for (const name of INCLUDES) writeFileSync(join(tmp.path, name), adapt(readSnippet(name), paths[name] ?? {}));
  });

  after(() => tmp.remove());

  /** The index with `enabled` includes uncommented, pointing at the adapted copies. */
  function indexWith(enabled: string[]): string {
    let text = adapt(index, {
      'load_module modules/ngx_http_js_module.so;': `load_module ${JS_MODULE};`,
      'include      mime.types;': 'include      /etc/nginx/mime.types;',
      '/var/log/nginx/': `${tmp.path}/logs/`,
      'http {\n': `http {\n${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `    ${t}_temp_path ${tmp.path}/tmp-${t};\n`).join('')}`,
    });
    for (const name of enabled) text = adapt(text, { [`#include deploy/nginx/${name};`]: `include ${join(tmp.path, name)};` });
    return text;
  }

  async function nginxTest(conf: string): Promise<void> {
    const file = join(tmp.path, 'nginx.conf');
    writeFileSync(file, conf);
    const r = await run(NGINX, ['-t', '-p', tmp.path, '-c', file, '-g', `pid ${tmp.path}/nginx.pid;`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /test is successful/);
  }

  it('lists every pattern file under deploy/nginx/', () => {
    const shipped = readdirSync(join(ROOT, 'deploy', 'nginx')).filter((f) => f.endsWith('.conf')).sort();
    assert.deepEqual(shipped, [...INCLUDES].sort());
    for (const name of INCLUDES) assert.ok(index.includes(`#include deploy/nginx/${name};`), `index lacks ${name}`);
  });

  for (const name of INCLUDES) {
    it(`passes nginx -t with ${name} enabled`, () => nginxTest(indexWith([name])));
  }

  it('passes nginx -t with all patterns enabled at once (no clashing names)', () => nginxTest(indexWith(INCLUDES)));
});
