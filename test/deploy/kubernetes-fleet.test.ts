import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { redisUrl } from '../../src/config/parse.js';
import { envName, optionSpecs } from '../../src/config/spec.js';
import { eventually } from '../helpers/app.js';
import { startRedis } from '../helpers/redis.js';
import { startSmtp } from '../notify/support.js';
import { cleanEnv, runCli, spawnCli } from '../cli/run-cli.js';
import { ROOT } from './support.js';

type Doc = any;
const DIR = join(ROOT, 'deploy', 'kubernetes-fleet');
const load = (dir: string, file: string): Doc[] => YAML.parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((d) => {
  assert.deepEqual(d.errors, [], `${file}: ${d.errors.join('; ')}`);
  return d.toJS();
});
const kustomization = load(DIR, 'kustomization.yaml')[0];
const secret = load(DIR, 'secret-redis.example.yaml')[0];
const [redisSet, , redisPolicy] = load(DIR, 'redis.yaml');
const mailer = load(DIR, 'mailer.yaml')[0].spec.template.spec.containers[0];
const patch = load(DIR, 'sidecar-fleet.yaml')[0].spec.template.spec.containers[0];
const configMap = load(join(ROOT, 'deploy', 'kubernetes'), 'configmap.yaml')[0];
const OPTION_ENVS = new Set(optionSpecs.map((s) => envName(s.key)));
const secretRef = (c: Doc, name: string): Doc => c.env.find((e: Doc) => e.name === name)?.valueFrom?.secretKeyRef;

describe('deploy/kubernetes-fleet: the fleet overlay', function () {
  this.timeout(60_000);

  it('builds on deploy/kubernetes and adds the Redis Secret, a reference Redis, the mailer and the sidecar patch', () => {
    assert.deepEqual(kustomization.resources, ['../kubernetes', 'secret-redis.example.yaml', 'redis.yaml', 'mailer.yaml']);
    assert.deepEqual(kustomization.patches, [{ path: 'sidecar-fleet.yaml', target: { kind: 'Deployment', name: 'example-app' } }]);
  });

  it('gives the sidecars --redis-url from the Secret, their pod name as replica name, and takes their SMTP credentials away', () => {
    assert.equal(patch.name, 'wormwatch');
    assert.deepEqual(secretRef(patch, 'WORMWATCH_REDIS_URL'), { name: 'wormwatch-redis', key: 'WORMWATCH_REDIS_URL' });
    assert.equal(patch.env.find((e: Doc) => e.name === 'WORMWATCH_REPLICA_NAME').valueFrom.fieldRef.fieldPath, 'metadata.name');
    assert.deepEqual(patch.env.find((e: Doc) => e.name === 'WORMWATCH_SMTP_URL'), { name: 'WORMWATCH_SMTP_URL', $patch: 'delete' });
    for (const e of [...patch.env, ...mailer.env]) if (e.name.startsWith('WORMWATCH_')) assert.ok(OPTION_ENVS.has(e.name), `${e.name} is no option`);
  });

  it('regression: the sidecar it builds starts (it exited 2: the ConfigMap\'s --notify smtp without the SMTP URL the patch takes away)', async () => {
    // What kustomize gives the container: the ConfigMap (envFrom), overridden by the patched env.
    const base = load(join(ROOT, 'deploy', 'kubernetes'), 'deployment.yaml').find((d: Doc) => d.kind === 'Deployment').spec.template.spec.containers.find((c: Doc) => c.name === 'wormwatch');
    const deleted = new Set(patch.env.filter((e: Doc) => e.$patch === 'delete').map((e: Doc) => e.name));
    const env: Record<string, string> = { ...configMap.data };
    for (const e of [...(base.env ?? []), ...patch.env]) if (!deleted.has(e.name) && typeof e.value === 'string') env[e.name] = e.value;
    assert.equal(env.WORMWATCH_NOTIFY, 'smtp');
    assert.equal(env.WORMWATCH_SMTP_URL, undefined, 'no SMTP credentials on the sidecars');
    // The base's args, the admin token read from a file of the test's.
    const dir = mkdtempSync(join(tmpdir(), 'wormwatch-fleet-sidecar-'));
    try {
      writeFileSync(join(dir, 'token'), 'a-test-admin-token-of-32-chars!!');
      const args = (base.args as string[]).map((a) => (a.startsWith('--admin-token-file=') ? `--admin-token-file=${join(dir, 'token')}` : a));
      const run = await runCli([...args, '--check-config'], cleanEnv({ ...env, WORMWATCH_REDIS_URL: 'redis://127.0.0.1:9/', WORMWATCH_REPLICA_NAME: 'example-app-0' }));
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /configuration OK/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs a password-protected, append-only Redis that only the sidecars and the mailer reach, with the password the URL carries', () => {
    const args: string[] = redisSet.spec.template.spec.containers[0].args;
    assert.equal(args[args.indexOf('--requirepass') + 1], '$(REDIS_PASSWORD)');
    assert.equal(args[args.indexOf('--appendonly') + 1], 'yes');
    assert.equal(decodeURIComponent(redisUrl(secret.stringData.WORMWATCH_REDIS_URL).password), secret.stringData.REDIS_PASSWORD);
    const allowed = redisPolicy.spec.ingress[0].from.map((f: Doc) => f.podSelector.matchLabels['app.kubernetes.io/name']).sort();
    assert.deepEqual(allowed, ['example-app', 'wormwatch-mailer']);
  });

  it('starts the mailer Deployment\'s command with its ConfigMap and Secrets (pointed at a loopback Redis and SMTP)', async () => {
    assert.equal(mailer.args[0], 'mailer');
    assert.deepEqual(secretRef(mailer, 'WORMWATCH_SMTP_URL'), { name: 'wormwatch-smtp', key: 'WORMWATCH_SMTP_URL' });
    assert.deepEqual(secretRef(mailer, 'WORMWATCH_REDIS_URL'), { name: 'wormwatch-redis', key: 'WORMWATCH_REDIS_URL' });
    const [redis, smtp] = await Promise.all([startRedis(), startSmtp()]);
    // Its metrics port on loopback, any free one (9100 may be taken on the test machine).
    const args = (mailer.args as string[]).map((a) => (a.startsWith('--metrics-listen=') ? '--metrics-listen=127.0.0.1:0' : a));
    assert.ok(args.includes('--metrics-listen=127.0.0.1:0'), 'the mailer serves its metrics');
    const child = spawnCli(args, cleanEnv({ ...configMap.data, WORMWATCH_REDIS_URL: redis.url, WORMWATCH_SMTP_URL: smtp.url, WORMWATCH_REPLICA_NAME: 'wormwatch-mailer-0' }));
    let out = '';
    let err = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
    try {
      await eventually(() => out.includes('"redis-up"') || child.exitCode !== null, 20_000, 'the mailer up on Redis');
      assert.match(out, /wormwatch mailer running/, err);
      await eventually(async () => ((await redis.client.xinfo('GROUPS', 'ww:notices').catch(() => [])) as unknown[]).length === 1, 5000, 'its consumer group');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      await Promise.all([redis.stop(), smtp.close()]);
    }
  });
});
