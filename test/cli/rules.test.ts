import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0 for a valid file and says what it holds', async () => {
    const file = join(dir, 'good.json');
    writeFileSync(file, JSON.stringify({ signatures: [RULE], disable: ['probe-xdebug'] }));
    const r = await runCli(['rules', 'check', file]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, `${file}: OK (1 signature, 1 built-in disabled)\n`);
  });

  it('exits 1 and prints one error per line', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, `- ${JSON.stringify({ ...RULE, stage: 'soon', match: { target: 'path', pattern: '(x+)+y' } })}\n`);
    const r = await runCli(['rules', 'check', file]);
    assert.equal(r.code, 1);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 2, r.stdout);
    assert.ok(lines.every((l) => l.startsWith(`${file}: entry 1 (acme-probe): `)));
    assert.match(r.stdout, /stage: must be request or 404/);
    assert.match(r.stdout, /match\.pattern: prone to catastrophic backtracking/);
  });

  it('lets check and signatures use --rules and --no-builtin-rules', async () => {
    const file = join(dir, 'only.json');
    writeFileSync(file, JSON.stringify([RULE]));
    const list = await runCli(['signatures', '--rules', file, '--no-builtin-rules']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^acme-probe\s+scanner\s+404\s+ACME probe$/m);
    assert.match(list.stdout, /^1 signatures$/m);
    const bad = await runCli(['check', 'GET / HTTP/1.1', '--rules', join(dir, 'bad.yaml')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /invalid --rules: .*bad\.yaml: entry 1/);
  });
});
