import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { builtinCatalogue } from '../src/rules/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('the published package', function () {
  this.timeout(60_000);

  it('ships the built CLI and the catalogue it reads (npm pack)', () => {
    const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' })) as [{ files: { path: string }[] }];
    const files = new Set(pack.files.map((f) => f.path));
    for (const name of readdirSync(`${ROOT}/catalogue`).filter((f) => f.endsWith('.yaml'))) assert.ok(files.has(`catalogue/${name}`), `catalogue/${name} is not packed`);
    for (const f of ['dist/cli/main.js', 'dist/index.js', 'dist/rdap/data/ipv4.json', 'README.md', 'LICENSE']) assert.ok(files.has(f), `${f} is not packed`);
    assert.ok(![...files].some((f) => f.startsWith('src/') || f.startsWith('test/')), 'sources and tests stay out');
  });

  it('reads the built-in catalogue from the built files as from the sources', () => {
    const out = execFileSync(process.execPath, [`${ROOT}/dist/cli/main.js`, 'signatures'], { encoding: 'utf8' });
    assert.match(out, new RegExp(`\\n${builtinCatalogue().length} signatures\\n$`));
  });
});
