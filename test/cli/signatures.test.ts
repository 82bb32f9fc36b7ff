import assert from 'node:assert/strict';
import { builtinCatalogue } from '../../src/detect/index.js';
import { runCli } from './run-cli.js';

describe('wormwatch signatures', () => {
  it('lists every built-in signature with id, family, stage and title, request stage first', async () => {
    const r = await runCli(['signatures']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0]!, /^ID\s+FAMILY\s+STAGE\s+TITLE$/);
    assert.equal(lines.length, builtinCatalogue.length + 2);
    assert.match(r.stdout, /^codered-i\s+codered\s+request\s+CodeRed worm \(N variant\)$/m);
    const stages = lines.slice(1, -1).map((l) => l.split(/\s+/)[2]);
    assert.equal(stages.indexOf('request'), 0);
    assert.ok(stages.lastIndexOf('request') < stages.indexOf('404'));
  });

  it('prints the catalogue as JSON with --json', async () => {
    const r = await runCli(['signatures', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout) as { id: string; description: string }[];
    assert.deepEqual(new Set(list.map((s) => s.id)), new Set(builtinCatalogue.map((s) => s.id)));
    assert.ok(list.every((s) => s.description.length > 0));
  });
});
