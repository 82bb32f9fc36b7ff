import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { builtinCatalogue } from '../../src/rules/index.js';

/** The README's family table is written by hand; this keeps its counts honest. */
describe('the README family table', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const rows = new Map<string, { total: number; request: number; notFound: number }>();
  for (const m of readme.matchAll(/^\| `([a-z0-9-]+)` \| (\d+) \| (\d+) \/ (\d+) \|/gm)) {
    rows.set(m[1]!, { total: Number(m[2]), request: Number(m[3]), notFound: Number(m[4]) });
  }
  const catalogue = builtinCatalogue();

  it('lists every family of the built-in catalogue with its signature count by stage', () => {
    const actual = new Map<string, { total: number; request: number; notFound: number }>();
    for (const s of catalogue) {
      const row = actual.get(s.family) ?? { total: 0, request: 0, notFound: 0 };
      row.total++;
      if (s.stage === 'request') row.request++; else row.notFound++;
      actual.set(s.family, row);
    }
    assert.deepEqual(Object.fromEntries([...rows].sort()), Object.fromEntries([...actual].sort()));
  });

  it('states the catalogue size', () => {
    assert.match(readme, new RegExp(`holds ${catalogue.length} signatures in ${rows.size} families`));
  });
});
