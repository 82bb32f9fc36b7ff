import assert from 'node:assert/strict';
import { renderSignatures } from '../../src/cli/signatures.js';
import { builtinCatalogue } from '../../src/rules/index.js';
import { runCli } from './run-cli.js';

describe('wormwatch signatures', () => {
  it('lists every signature with id, family, stage and title, request stage first', () => {
    const lines = renderSignatures(builtinCatalogue(), false).trim().split('\n');
    assert.match(lines[0]!, /^ID\s+FAMILY\s+STAGE\s+TITLE$/);
    assert.equal(lines.length, builtinCatalogue().length + 2);
    assert.equal(lines.at(-1), `${builtinCatalogue().length} signatures`);
    const stages = lines.slice(1, -1).map((l) => l.split(/\s+/)[2]);
    assert.ok(stages.lastIndexOf('request') < stages.indexOf('404'));
  });

  it('gives every public field with --json', () => {
    const list = JSON.parse(renderSignatures(builtinCatalogue(), true)) as { id: string; description: string; match: unknown }[];
    assert.deepEqual(new Set(list.map((s) => s.id)), new Set(builtinCatalogue().map((s) => s.id)));
    assert.ok(list.every((s) => s.description.length > 0 && s.match));
  });

  it('runs as a command with exit status 0', async () => {
    const r = await runCli(['signatures']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^codered-i\s+codered\s+request\s+CodeRed worm \(N variant\)$/m);
  });
});
