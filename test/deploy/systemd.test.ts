import { strict as assert } from 'node:assert';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, ROOT, cleanEnv, run, tempDir } from './support.js';

const UNIT = join(ROOT, 'deploy', 'systemd', 'wormwatch.service');
const ENV_FILE = join(ROOT, 'deploy', 'systemd', 'wormwatch.env');
const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';

/** `[Section]` → key → values (a key may repeat, as SystemCallFilter does). */
function parseUnit(text: string): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      section = s[1]!;
      out[section] ??= {};
      continue;
    }
    const eq = line.indexOf('=');
    assert.ok(eq > 0 && section, `not a key=value line in a section: ${line}`);
    ((out[section]![line.slice(0, eq)] ??= [])).push(line.slice(eq + 1));
  }
  return out;
}

/** KEY=VALUE lines, as systemd's EnvironmentFile= reads them (no quotes used in ours). */
function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (!line.trim() || line.trim().startsWith('#')) continue;
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    assert.ok(m, `not KEY=VALUE: ${line}`);
    env[m[1]!] = m[2]!;
  }
  return env;
}

describe('deploy/systemd/wormwatch.service', function () {
  // Each CLI run is a cold `node --import tsx` start: seconds on a busy CI machine.
  this.timeout(60_000);
  const text = readFileSync(UNIT, 'utf8');
  const unit = parseUnit(text);
  const service = unit.Service!;
  const execStart = service.ExecStart![0]!.split(/\s+/);

  it('is hardened: a dynamic user, a read-only system, a state directory, restart on failure', () => {
    assert.deepEqual(service.DynamicUser, ['yes']);
    assert.deepEqual(service.ProtectSystem, ['strict']);
    assert.deepEqual(service.StateDirectory, ['wormwatch']);
    assert.deepEqual(service.Restart, ['on-failure']);
    assert.deepEqual(service.NoNewPrivileges, ['yes']);
    assert.deepEqual(service.PrivateTmp, ['yes']);
    assert.deepEqual(service.ProtectHome, ['yes']);
    assert.equal(service.EnvironmentFile?.length, 1);
    assert.deepEqual(unit.Install?.WantedBy, ['multi-user.target']);
    assert.ok(execStart.includes('--data-dir=${STATE_DIRECTORY}'), 'the outbox is not in the state directory');
  });

  it('passes systemd-analyze verify', async function () {
    if (!existsSync(SYSTEMD_ANALYZE)) {
      // Without systemd the key checks above are what we have.
      assert.ok(service.ExecStart && service.Type, 'unit lacks ExecStart or Type');
      return;
    }
    const tmp = tempDir('systemd');
    try {
      // verify insists the ExecStart binary exists: point it at a stand-in, change nothing else.
      const shim = join(tmp.path, 'wormwatch');
      writeFileSync(shim, '#!/bin/sh\nexit 0\n');
      chmodSync(shim, 0o755);
      const copy = join(tmp.path, 'wormwatch.service');
      writeFileSync(copy, text.replace(`ExecStart=${execStart[0]} `, `ExecStart=${shim} `));
      const r = await run(SYSTEMD_ANALYZE, ['verify', copy]);
      const complaints = (r.stdout + r.stderr).split('\n').filter((l) => l.includes('wormwatch.service'));
      assert.deepEqual(complaints, []);
      assert.equal(r.code, 0, r.stderr);
    } finally {
      tmp.remove();
    }
  });

  it('starts wormwatch with flags and an environment file that serve --check-config accepts', async () => {
    const tmp = tempDir('systemd-env');
    try {
      assert.equal(service.EnvironmentFile![0], '/etc/wormwatch.env');
      const env = parseEnvFile(readFileSync(ENV_FILE, 'utf8'));
      assert.ok(Object.keys(env).length >= 3);
      const args = execStart.slice(1).map((a) => a.replace('${STATE_DIRECTORY}', tmp.path));
      assert.equal(args[0], 'serve');
      const r = await run(CLI[0], [...CLI.slice(1), ...args, '--check-config'], { env: cleanEnv(env) });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /configuration OK .*listen 0\.0\.0\.0:80, admin 127\.0\.0\.1:9090/);
    } finally {
      tmp.remove();
    }
  });
});
