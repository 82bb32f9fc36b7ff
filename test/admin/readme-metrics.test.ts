import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWormwatch } from '../../src/runtime/serve.js';
import { loadOptions } from '../../src/config/load.js';

describe('README metrics table', () => {
  it('lists exactly the wormwatch_* metrics a running wormwatch (default extensions) exports', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wormwatch-readme-metrics-'));
    const options = loadOptions({
      env: {},
      flags: { upstream: 'http://127.0.0.1:9', listen: '127.0.0.1:0', adminListen: '127.0.0.1:0', dataDir, logLevel: 'silent' },
    });
    const app = await startWormwatch(options);
    try {
      const exported = (await app.metrics.registry.getMetricsAsJSON()).filter((m) => m.name.startsWith('wormwatch_'));
      const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
      const section = readme.slice(readme.indexOf('\n## Metrics'), readme.indexOf('\n## ', readme.indexOf('\n## Metrics') + 1));
      const documented = new Map([...section.matchAll(/^\| `(wormwatch_[a-z_]+)` \| (\w+) \|/gm)].map((m) => [m[1]!, m[2]!]));
      assert.deepEqual([...documented.keys()].sort(), exported.map((m) => m.name).sort());
      for (const m of exported) assert.equal(documented.get(m.name), m.type, `type of ${m.name}`);
    } finally {
      await app.stop(0);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
