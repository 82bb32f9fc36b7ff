import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, ROOT, cleanEnv, freePort, run, tempDir } from './support.js';
import { startWormwatchForMetrics } from './wormwatch-metrics.js';

interface Instruction { op: string; args: string }

/** Dockerfile instructions with line continuations joined and comments dropped. */
function parseDockerfile(text: string): Instruction[] {
  const joined = text.split('\n').filter((l) => !/^\s*#/.test(l)).join('\n').replace(/\\\n/g, ' ');
  return joined.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
    const sp = l.indexOf(' ');
    return { op: l.slice(0, sp).toUpperCase(), args: l.slice(sp + 1).trim() };
  });
}

/** The commands of the README code block right after `<!-- install-commands -->`. */
function readmeInstallCommands(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const m = /<!-- install-commands -->\s*```(?:sh|bash|console)?\n([\s\S]*?)```/.exec(readme);
  assert.ok(m, 'README has no <!-- install-commands --> block');
  return m[1]!.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter((l) => l && !l.startsWith('#'));
}

describe('deploy/Dockerfile', function () {
  // Each CLI run is a cold `node --import tsx` start: seconds on a busy CI machine.
  this.timeout(60_000);
  const steps = parseDockerfile(readFileSync(join(ROOT, 'deploy', 'Dockerfile'), 'utf8'));
  const froms = steps.map((s, i) => ({ ...s, i })).filter((s) => s.op === 'FROM');
  const buildStage = steps.slice(froms[0]!.i, froms[1]?.i);
  const runtime = steps.slice(froms[froms.length - 1]!.i);

  it('is multi-stage on node:20-slim, compiling native modules only in the build stage', () => {
    assert.equal(froms.length, 2);
    for (const f of froms) assert.match(f.args, /^node:20-slim\b/);
    assert.ok(buildStage.some((s) => s.op === 'RUN' && /apt-get install .*\bg\+\+/.test(s.args) && /\bmake\b/.test(s.args) && /\bpython3\b/.test(s.args)), 'no compilers in the build stage');
    assert.ok(!runtime.some((s) => s.op === 'RUN' && /apt-get install|npm (ci|install)/.test(s.args)), 'the runtime stage installs things');
    assert.ok(runtime.some((s) => s.op === 'COPY' && /--from=build .*node_modules/.test(s.args)), 'native modules are not copied from the build stage');
  });

  it('runs as a non-root user with a HEALTHCHECK on /healthz', () => {
    const user = runtime.filter((s) => s.op === 'USER').pop();
    assert.ok(user && !/^(root|0)(:|$)/.test(user.args), 'runs as root');
    const health = runtime.find((s) => s.op === 'HEALTHCHECK');
    assert.ok(health && health.args.includes('/healthz'));
  });

  it('uses exactly the README\'s install commands in the build stage', () => {
    const npmRuns = buildStage.filter((s) => s.op === 'RUN' && s.args.startsWith('npm ')).map((s) => s.args);
    assert.deepEqual(npmRuns, readmeInstallCommands());
  });

  it('starts the CLI that npm run build produces', () => {
    const entry = JSON.parse(runtime.find((s) => s.op === 'ENTRYPOINT')!.args) as string[];
    assert.deepEqual(entry, ['node', '/app/dist/cli/main.js']);
    const build = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as { compilerOptions: { rootDir: string; outDir: string } };
    assert.equal(`/app/${build.compilerOptions.outDir}/cli/main.js`, entry[1]);
    assert.ok(existsSync(join(ROOT, build.compilerOptions.rootDir, 'cli', 'main.ts')));
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    assert.equal(`/app/${pkg.bin.wormwatch}`, entry[1]);
  });

  it('sets only WORMWATCH_* variables that serve --check-config accepts, the admin port keyed by the token file', async () => {
    const env: Record<string, string> = {};
    for (const s of runtime.filter((x) => x.op === 'ENV')) {
      for (const m of s.args.matchAll(/(\w+)=(\S+)/g)) env[m[1]!] = m[2]!;
    }
    assert.ok(env.WORMWATCH_DATA_DIR && env.WORMWATCH_ADMIN_LISTEN && env.WORMWATCH_ADMIN_TOKEN_FILE && env.WORMWATCH_METRICS_LISTEN);
    const secrets = tempDir('docker-secret');
    try {
      // The token file is the operator's secret, mounted at run time; here a stand-in.
      const token = join(secrets.path, 'token');
      writeFileSync(token, 'f'.repeat(64));
      const r = await run(CLI[0], [...CLI.slice(1), 'serve', '--upstream=http://127.0.0.1:8000', '--check-config'], { env: cleanEnv({ ...env, WORMWATCH_ADMIN_TOKEN_FILE: token }) });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /admin 0\.0\.0\.0:9090/);
      const missing = await run(CLI[0], [...CLI.slice(1), 'serve', '--upstream=http://127.0.0.1:8000', '--check-config'], { env: cleanEnv(env) });
      assert.equal(missing.code, 2, 'without the secret mounted, it refuses to start');
      assert.match(missing.stderr, /--admin-token-file \/run\/secrets\/wormwatch-admin-token/);
    } finally {
      secrets.remove();
    }
  });

  it('has a HEALTHCHECK command that passes against a running wormwatch and fails without one', async function () {
    const health = runtime.find((s) => s.op === 'HEALTHCHECK')!;
    const cmd = JSON.parse(/CMD (\[.*\])$/.exec(health.args)![1]!) as string[];
    assert.equal(cmd[0], 'node');
    const admin = /WORMWATCH_METRICS_LISTEN=\S+:(\d+)/.exec(runtime.filter((s) => s.op === 'ENV').map((s) => s.args).join(' '))![1]!;
    assert.ok(cmd.join(' ').includes(`127.0.0.1:${admin}/healthz`), 'HEALTHCHECK does not ask the metrics port');
    const ww = await startWormwatchForMetrics();
    try {
      const live = cmd.slice(1).map((a) => a.replace(`127.0.0.1:${admin}`, `127.0.0.1:${ww.ww.adminAddress.port}`));
      assert.equal((await run(process.execPath, live)).code, 0);
    } finally {
      await ww.stop();
    }
    const closed = await freePort();
    const dead = cmd.slice(1).map((a) => a.replace(`127.0.0.1:${admin}`, `127.0.0.1:${closed}`));
    assert.equal((await run(process.execPath, dead)).code, 1);
  });
});
