import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { renderConfigTable, tableInReadme } from '../../scripts/config-table.js';
import { envName, flagName, optionSpecs } from '../../src/config/spec.js';

describe('README configuration table', () => {
  it('equals the table generated from optionSpecs (run `npx tsx scripts/config-table.ts --write` to update)', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const table = tableInReadme(readme);
    assert.ok(table !== null, 'README.md has the config-table markers under ## Configuration');
    assert.equal(table, renderConfigTable());
  });

  it('has one row per option naming its flag, environment variable and default', () => {
    const rows = renderConfigTable().split('\n').slice(2);
    assert.equal(rows.length, optionSpecs.length);
    for (const [i, s] of optionSpecs.entries()) {
      assert.ok(rows[i]!.includes(flagName(s.key)) && rows[i]!.includes(envName(s.key)) && rows[i]!.includes(s.shownDefault), rows[i]);
    }
  });
});
