import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rulesCheck } from '../../src/cli/rules.js';
import { BUILTIN_DIR, builtinCatalogue, checkRuleFile } from '../../src/rules/index.js';
import { runCli } from './run-cli.js';

const RULE = {
  id: 'acme-probe', family: 'scanner', title: 'ACME probe', description: 'Looks for the retired ACME console.', stage: '404',
  match: { target: 'path', pattern: '^/acme/', literals: ['/acme/'] },
  examples: { positive: ['GET /acme/ HTTP/1.1'], negative: ['GET /acme-docs HTTP/1.1'] },
};

describe('wormwatch rules check', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'wormwatch-rules-cli-'));
    writeFileSync(join(dir, 'good.json'), JSON.stringify({ signatures: [RULE], disable: ['probe-xdebug'] }));
    writeFileSync(join(dir, 'bad.yaml'), `- ${JSON.stringify({ ...RULE, stage: 'soon', match: { target: 'path', pattern: '(x+)+y' } })}\n`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0 for a valid file and says what it holds', () => {
    const file = join(dir, 'good.json');
    assert.deepEqual(rulesCheck(file), { exitCode: 0, output: `${file}: OK (1 signature, 1 built-in disabled)\n` });
  });

  it('accepts the built-in catalogue itself: it is rule data in the user format, validated the same way', () => {
    const r = rulesCheck(BUILTIN_DIR);
    assert.equal(r.exitCode, 0, r.output);
    assert.match(r.output, new RegExp(`OK \\(${builtinCatalogue().length} signatures, 0 built-ins disabled\\)`));
  });

  it('lets a rule reuse a built-in id when the built-ins are left out (--no-builtin-rules)', () => {
    const file = join(dir, 'replaces.json');
    writeFileSync(file, JSON.stringify([{ ...RULE, id: 'codered-i' }]));
    assert.equal(rulesCheck(file).exitCode, 1, 'with the built-ins it must be disabled first');
    assert.deepEqual(checkRuleFile(file, false), []);
  });

  it('exits 1 and prints one error per line', () => {
    const file = join(dir, 'bad.yaml');
    const r = rulesCheck(file);
    assert.equal(r.exitCode, 1);
    const lines = r.output.trim().split('\n');
    assert.equal(lines.length, 2, r.output);
    assert.ok(lines.every((l) => l.startsWith(`${file}: entry 1 (acme-probe): `)));
    assert.match(r.output, /stage: must be request or 404/);
    assert.match(r.output, /match\.pattern: prone to catastrophic backtracking/);
  });

  it('runs as commands: rules check exits 1 on errors; signatures and check take --rules and --no-builtin-rules', async () => {
    const [checked, listed, refused] = await Promise.all([
      runCli(['rules', 'check', join(dir, 'bad.yaml')]),
      runCli(['signatures', '--rules', join(dir, 'good.json'), '--no-builtin-rules']),
      runCli(['check', 'GET / HTTP/1.1', '--rules', join(dir, 'bad.yaml')]),
    ]);
    assert.equal(checked.code, 1);
    assert.equal(checked.stdout.trim().split('\n').length, 2);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^acme-probe\s+scanner\s+404\s+ACME probe\n1 signatures\n$/m);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /invalid --rules: .*bad\.yaml: entry 1/);
  });
});
