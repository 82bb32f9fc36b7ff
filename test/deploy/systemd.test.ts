import { strict as assert } from 'node:assert';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { send, startApp, type TestApp } from '../helpers/app.js';
import { adapt } from './nginx-support.js';
import { CLI, ROOT, cleanEnv, freePort, run, startOrigin, tempDir } from './support.js';

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

describe('deploy/systemd/wormwatch-bans-export.{service,timer}', function () {
  // Each export is a cold `node --import tsx` start: seconds on a busy CI machine.
  this.timeout(90_000);
  const serviceText = readFileSync(join(ROOT, 'deploy', 'systemd', 'wormwatch-bans-export.service'), 'utf8');
  const timerText = readFileSync(join(ROOT, 'deploy', 'systemd', 'wormwatch-bans-export.timer'), 'utf8');
  const service = parseUnit(serviceText).Service!;
  const timer = parseUnit(timerText);

  /** The ExecStart shell line as systemd hands it to sh: `$$` unescaped. */
  function shellLine(): string {
    const m = /^\/bin\/sh -c '([^']+)'$/.exec(service.ExecStart![0]!);
    assert.ok(m, `ExecStart is not /bin/sh -c '...': ${service.ExecStart![0]}`);
    return m[1]!.replace(/\$\$/g, '$');
  }

  it('runs a oneshot every 30 s from the start, with the server\'s environment file, hardened', () => {
    assert.deepEqual(timer.Timer?.OnUnitActiveSec, ['30s']);
    assert.deepEqual(timer.Timer?.OnActiveSec, ['1s']);
    assert.deepEqual(timer.Timer?.Unit, ['wormwatch-bans-export.service']);
    assert.deepEqual(timer.Install?.WantedBy, ['timers.target']);
    assert.deepEqual(service.Type, ['oneshot']);
    assert.deepEqual(service.EnvironmentFile, [`-${parseUnit(readFileSync(UNIT, 'utf8')).Service!.EnvironmentFile![0]}`], 'the same file as wormwatch.service, optional');
    for (const key of ['NoNewPrivileges', 'ProtectHome', 'PrivateTmp', 'ProtectSystem']) assert.deepEqual(service[key], ['yes'], key);
    assert.match(shellLine(), /wormwatch bans export --format nginx --if-changed \/etc\/nginx\/wormwatch-bans\.conf/);
  });

  it('passes systemd-analyze verify', async () => {
    if (!existsSync(SYSTEMD_ANALYZE)) return assert.ok(timer.Timer && service.ExecStart);
    const tmp = tempDir('systemd-bans');
    try {
      writeFileSync(join(tmp.path, 'wormwatch-bans-export.service'), serviceText);
      writeFileSync(join(tmp.path, 'wormwatch-bans-export.timer'), timerText);
      const r = await run(SYSTEMD_ANALYZE, ['verify', join(tmp.path, 'wormwatch-bans-export.timer'), join(tmp.path, 'wormwatch-bans-export.service')]);
      assert.deepEqual((r.stdout + r.stderr).split('\n').filter((l) => l.includes('wormwatch-bans-export')), []);
      assert.equal(r.code, 0, r.stderr);
    } finally {
      tmp.remove();
    }
  });

  describe('its shell line, run with the real CLI against a running server and a stand-in nginx', () => {
    let origin: Awaited<ReturnType<typeof startOrigin>>;
    let app: TestApp;
    let tmp: ReturnType<typeof tempDir>;
    let include: string;
    let calls: string;
    let script: string;

    before(async () => {
      origin = await startOrigin();
      app = await startApp({ upstream: `http://127.0.0.1:${origin.port}`, mode: 'block', banTtl: '1h' });
      tmp = tempDir('systemd-bans-run');
      include = join(tmp.path, 'wormwatch-bans.conf');
      calls = join(tmp.path, 'nginx-calls');
      const quote = (s: string): string => `'${s}'`;
      const wormwatch = join(tmp.path, 'wormwatch');
      writeFileSync(wormwatch, `#!/bin/sh\nexec ${CLI.map(quote).join(' ')} "$@"\n`);
      const nginx = join(tmp.path, 'nginx');
      // Records each call; `nginx -t` fails when the test asks it to.
      writeFileSync(nginx, `#!/bin/sh\necho "$*" >> ${quote(calls)}\n[ "$1" != -t ] || exit "\${NGINX_T_STATUS:-0}"\n`);
      for (const f of [wormwatch, nginx]) chmodSync(f, 0o755);
      writeFileSync(calls, '');
      script = adapt(shellLine(), { '/usr/local/bin/wormwatch': wormwatch, '/usr/sbin/nginx': nginx, '/etc/nginx/wormwatch-bans.conf': include });
    });
    after(async () => {
      await app.stop();
      await origin.close();
      tmp.remove();
    });

    const runLine = (env: Record<string, string> = {}) =>
      run('/bin/sh', ['-c', script], { env: cleanEnv({ WORMWATCH_ADMIN_LISTEN: app.admin.replace('http://', ''), ...env }), timeoutMs: 60_000 });
    const nginxCalls = (): string[] => readFileSync(calls, 'utf8').split('\n').filter(Boolean);
    const ban = (ip: string) => send(app.admin, '/bans', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ip }) });

    it('tests and reloads nginx after an export that changed the file, and not after one that did not', async () => {
      await ban('198.51.100.7');
      const first = await runLine();
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /^changed .* \(1 bans\)\n$/);
      assert.match(readFileSync(include, 'utf8'), /^198\.51\.100\.7 1;$/m);
      assert.deepEqual(nginxCalls(), ['-t -q', '-s reload']);
      const second = await runLine();
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stdout, /^unchanged /);
      assert.deepEqual(nginxCalls(), ['-t -q', '-s reload'], 'no reload for unchanged bans');
    });

    it('does not reload when nginx -t fails, nor call nginx at all when wormwatch cannot be reached (the unit fails)', async () => {
      await ban('198.51.100.8');
      const refused = await runLine({ NGINX_T_STATUS: '1' });
      assert.equal(refused.code, 1);
      assert.deepEqual(nginxCalls().slice(2), ['-t -q'], 'tested, not reloaded');
      const kept = readFileSync(include, 'utf8');
      const down = await runLine({ WORMWATCH_ADMIN_LISTEN: `127.0.0.1:${await freePort()}` });
      assert.equal(down.code, 1);
      assert.match(down.stderr, /^wormwatch: no wormwatch admin server at /);
      assert.equal(nginxCalls().length, 3, 'nginx not called');
      assert.equal(readFileSync(include, 'utf8'), kept);
    });
  });
});
