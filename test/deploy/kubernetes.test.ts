import { strict as assert } from 'node:assert';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { CLI, ROOT, cleanEnv, freePorts, run, startChild, tempDir, waitFor } from './support.js';

const DIR = join(ROOT, 'deploy', 'kubernetes');

type Doc = any;

function load(file: string): Doc[] {
  return YAML.parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((d) => {
    assert.deepEqual(d.errors, [], `${file}: ${d.errors.join('; ')}`);
    return d.toJS();
  });
}

const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));
const docs = files.filter((f) => f !== 'kustomization.yaml').flatMap((f) => load(f).map((d) => ({ file: f, doc: d })));
const find = (kind: string): Doc => {
  const hit = docs.find((d) => d.doc.kind === kind);
  assert.ok(hit, `no ${kind} manifest`);
  return hit.doc;
};
const deployment = find('Deployment');
const pod = deployment.spec.template;
const sidecar = pod.spec.containers.find((c: Doc) => c.name === 'wormwatch');
const flag = (name: string): string | undefined => (sidecar.args as string[]).find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const portOf = (addr: string | undefined): number => Number(addr?.split(':').pop());

/** The sidecar's environment as the kubelet builds it: envFrom the ConfigMap, then env (Secret refs resolved from the example). */
function sidecarEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of sidecar.envFrom ?? []) {
    const cm = docs.find((d) => d.doc.kind === 'ConfigMap' && d.doc.metadata.name === from.configMapRef?.name);
    assert.ok(cm, `envFrom names a missing ConfigMap ${from.configMapRef?.name}`);
    Object.assign(env, cm.doc.data);
  }
  for (const e of sidecar.env ?? []) {
    if (e.value !== undefined) env[e.name] = String(e.value);
    else if (e.valueFrom?.secretKeyRef) {
      const ref = e.valueFrom.secretKeyRef;
      const secret = docs.find((d) => d.doc.kind === 'Secret' && d.doc.metadata.name === ref.name);
      assert.ok(secret, `env ${e.name} names a missing Secret ${ref.name}`);
      const value = secret.doc.stringData?.[ref.key];
      assert.ok(typeof value === 'string', `Secret ${ref.name} has no key ${ref.key}`);
      env[e.name] = value;
    } else assert.fail(`env ${e.name} has neither value nor secretKeyRef`);
  }
  return env;
}

/**
 * The sidecar's Secret volumes as the kubelet would mount them: each Secret's keys written as
 * files in a temporary directory, and the args' paths under the mount pointed there.
 */
function mountSecrets(): { args(args: string[]): string[]; remove(): void } {
  const dir = tempDir('k8s-secrets');
  const moved: [string, string][] = [];
  for (const m of sidecar.volumeMounts) {
    const volume = pod.spec.volumes.find((v: Doc) => v.name === m.name);
    if (!volume?.secret) continue;
    const secret = docs.find((d) => d.doc.kind === 'Secret' && d.doc.metadata.name === volume.secret.secretName);
    assert.ok(secret, `volume ${m.name} mounts a missing Secret`);
    const at = join(dir.path, m.name);
    mkdirSync(at);
    for (const [key, value] of Object.entries(secret.doc.stringData as Record<string, string>)) writeFileSync(join(at, key), value);
    moved.push([m.mountPath, at]);
  }
  return {
    args: (args) => args.map((a) => moved.reduce((x, [from, to]) => x.replace(`=${from}/`, `=${to}/`), a)),
    remove: () => dir.remove(),
  };
}

describe('deploy/kubernetes manifests', function () {
  // Each CLI run is a cold `node --import tsx` start: seconds on a busy CI machine.
  this.timeout(60_000);
  it('parse, each with apiVersion, kind and name, and kustomization lists every one', () => {
    for (const { file, doc } of docs) {
      assert.ok(doc.apiVersion && doc.kind && doc.metadata?.name, `${file}: missing apiVersion, kind or metadata.name`);
    }
    const [kustomization] = load('kustomization.yaml');
    assert.equal(kustomization.kind, 'Kustomization');
    assert.deepEqual([...kustomization.resources].sort(), files.filter((f) => f !== 'kustomization.yaml').sort());
    assert.deepEqual(docs.map((d) => d.doc.kind).sort(), ['ConfigMap', 'Deployment', 'NetworkPolicy', 'PodMonitor', 'Secret', 'Secret', 'Service']);
  });

  it('probe and scrape the metrics-only port (--metrics-listen), and name the admin port apart', () => {
    const metricsPort = sidecar.ports.find((p: Doc) => p.name === 'metrics');
    assert.ok(metricsPort, 'no port named metrics');
    assert.equal(metricsPort.containerPort, portOf(flag('metrics-listen')));
    assert.equal(sidecar.ports.find((p: Doc) => p.name === 'admin')?.containerPort, portOf(flag('admin-listen')));
    assert.equal(sidecar.livenessProbe.httpGet.path, '/healthz');
    assert.equal(sidecar.readinessProbe.httpGet.path, '/readyz');
    assert.equal(sidecar.livenessProbe.httpGet.port, 'metrics');
    assert.equal(sidecar.readinessProbe.httpGet.port, 'metrics');
    assert.equal(pod.metadata.annotations['prometheus.io/port'], String(metricsPort.containerPort));
    assert.equal(pod.metadata.annotations['prometheus.io/path'], '/metrics');
    const monitor = find('PodMonitor');
    assert.equal(monitor.spec.podMetricsEndpoints[0].port, 'metrics');
    assert.deepEqual(monitor.spec.selector.matchLabels, deployment.spec.selector.matchLabels);
  });

  it('route the Service to wormwatch, and wormwatch to the app over loopback', () => {
    const service = find('Service');
    assert.deepEqual(service.spec.selector, deployment.spec.selector.matchLabels);
    const target = service.spec.ports[0].targetPort;
    const httpPort = sidecar.ports.find((p: Doc) => p.name === target);
    assert.ok(httpPort, `Service targets port ${target}, which the sidecar does not name`);
    assert.equal(httpPort.containerPort, portOf(flag('listen')));
    const upstream = new URL(flag('upstream')!);
    assert.equal(upstream.hostname, '127.0.0.1');
    const app = pod.spec.containers.find((c: Doc) => c.name !== 'wormwatch');
    assert.ok(JSON.stringify(app.args).includes(`127.0.0.1:${upstream.port}`), 'the app does not listen where wormwatch forwards');
  });

  it('run as non-root on a read-only root filesystem, with an emptyDir data directory and resources', () => {
    assert.equal(pod.spec.securityContext.runAsNonRoot, true);
    for (const c of pod.spec.containers) {
      assert.equal(c.securityContext.readOnlyRootFilesystem, true, c.name);
      assert.equal(c.securityContext.allowPrivilegeEscalation, false, c.name);
      assert.ok(c.resources?.requests && c.resources?.limits?.memory, `${c.name} has no resources`);
    }
    const mount = sidecar.volumeMounts.find((m: Doc) => m.mountPath === flag('data-dir'));
    assert.ok(mount, '--data-dir is not a mounted volume');
    const volume = pod.spec.volumes.find((v: Doc) => v.name === mount.name);
    assert.ok(volume?.emptyDir, 'the data directory is not an emptyDir');
    assert.ok(pod.spec.terminationGracePeriodSeconds > 10, 'grace period shorter than --shutdown-grace');
  });

  it('key the admin port with a token file from a Secret, and let only labelled pods reach it', () => {
    const file = flag('admin-token-file');
    assert.ok(file, 'the admin port on 0.0.0.0 has no --admin-token-file');
    const mount = sidecar.volumeMounts.find((m: Doc) => file.startsWith(`${m.mountPath}/`));
    const volume = pod.spec.volumes.find((v: Doc) => v.name === mount?.name);
    const secret = docs.find((d) => d.doc.kind === 'Secret' && d.doc.metadata.name === volume?.secret?.secretName);
    assert.ok(secret?.doc.stringData?.[file.slice(mount.mountPath.length + 1)], 'the token file is not a key of a Secret');
    const policy = find('NetworkPolicy');
    assert.deepEqual(policy.spec.podSelector.matchLabels, deployment.spec.selector.matchLabels);
    const rule = (port: string) => policy.spec.ingress.find((r: Doc) => r.ports?.some((p: Doc) => p.port === port));
    assert.equal(rule('http').from, undefined, 'the proxy port is open to all');
    assert.ok(rule('metrics').from?.[0]?.namespaceSelector, 'metrics only from the monitoring namespace');
    assert.deepEqual(rule('admin').from?.[0]?.podSelector?.matchLabels, { 'wormwatch-admin': 'true' });
    for (const r of policy.spec.ingress) for (const p of r.ports) assert.ok(sidecar.ports.some((c: Doc) => c.name === p.port), `policy names port ${p.port} the sidecar does not`);
  });

  it('keep the outbox volume within the figures measured for it', () => {
    const mount = sidecar.volumeMounts.find((m: Doc) => m.mountPath === flag('data-dir'));
    const volume = pod.spec.volumes.find((v: Doc) => v.name === mount.name);
    assert.equal(volume.emptyDir.sizeLimit, '64Mi');
  });

  it('give wormwatch serve --check-config args and env it accepts', async () => {
    const env = sidecarEnv();
    assert.match(env.WORMWATCH_SMTP_URL ?? '', /^smtps?:\/\//);
    const secrets = mountSecrets();
    const r = await run(CLI[0], [...CLI.slice(1), ...secrets.args(sidecar.args), '--check-config'], { env: cleanEnv(env) }).finally(() => secrets.remove());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /configuration OK/);
    assert.match(r.stdout, /upstream http:\/\/127\.0\.0\.1:5678/);
  });

  it('answer the probes on a running sidecar started with those args and env', async function () {
    const data = tempDir('k8s');
    const [listen, admin, metrics] = (await freePorts(3)) as [number, number, number];
    const secrets = mountSecrets();
    // Same args and env; only the ports and the data directory are the test's, and notices
    // stay in the outbox (no SMTP server to talk to here).
    const args = secrets.args(sidecar.args).map((a) => a
      .replace(/^--listen=.*/, `--listen=127.0.0.1:${listen}`)
      .replace(/^--admin-listen=.*/, `--admin-listen=127.0.0.1:${admin}`)
      .replace(/^--metrics-listen=.*/, `--metrics-listen=127.0.0.1:${metrics}`)
      .replace(/^--data-dir=.*/, `--data-dir=${data.path}`));
    const child = startChild(CLI[0], [...CLI.slice(1), ...args], { cwd: ROOT, env: cleanEnv({ ...sidecarEnv(), WORMWATCH_NOTIFY: 'outbox', WORMWATCH_LOG_LEVEL: 'warn' }) });
    try {
      for (const probe of [sidecar.readinessProbe, sidecar.livenessProbe]) {
        const status = await waitFor(`${probe.httpGet.path} answers`, async () => {
          if (child.proc.exitCode !== null) throw new Error(`wormwatch exited: ${child.output()}`);
          const res = await fetch(`http://127.0.0.1:${metrics}${probe.httpGet.path}`).catch(() => null);
          return res?.status === 200 ? res.status : undefined;
        }, 20_000);
        assert.equal(status, 200);
      }
    } finally {
      await child.stop();
      data.remove();
      secrets.remove();
    }
  });
});
