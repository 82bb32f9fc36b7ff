// Runs the shipped nginx snippets (deploy/nginx/*.conf) in a real nginx on loopback, and the
// `wormwatch serve` command each snippet documents, as a real CLI process.
import { requireFile, requireTool } from '../helpers/system.js';
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { CLI, ROOT, cleanEnv, freePorts, startChild, tempDir, waitFor, type Child } from './support.js';

export const NGINX = '/usr/sbin/nginx';
export const JS_MODULE = '/usr/lib/nginx/modules/ngx_http_js_module.so';

export function readSnippet(name: string): string {
  return readFileSync(join(ROOT, 'deploy', 'nginx', name), 'utf8');
}

/**
 * Replaces each example value of a snippet by the test's own. Every value must occur, so a
 * snippet that changes its example ports or paths breaks the test instead of silently keeping
 * a stale one.
 */
export function adapt(text: string, replacements: Record<string, string>): string {
  let out = text;
  for (const [from, to] of Object.entries(replacements)) {
    assert.ok(out.includes(from), `snippet no longer contains "${from}"`);
    out = out.split(from).join(to);
  }
  return out;
}

/** The arguments of the `#   $ wormwatch …` line a snippet documents (after `wormwatch`). */
export function documentedCommand(text: string): string[] {
  const line = text.split('\n').find((l) => /^#\s+\$ wormwatch /.test(l));
  assert.ok(line, 'snippet documents no "$ wormwatch" command');
  return line.replace(/^#\s+\$ wormwatch /, '').trim().split(/\s+/);
}

export interface Nginx {
  dir: string;
  accessLog: string;
  errorLog(): string;
  stop(): Promise<void>;
}

/**
 * Starts nginx with `snippet` included in its http block (and `main` lines, such as the
 * `pcre_jit on;` a snippet documents, in the main context), in a private prefix with logs and
 * temp paths inside it. Waits until every port in `ports` accepts connections.
 */
export async function startNginx(snippet: string, ports: number[], opts: { js?: boolean; dir: string; main?: string[] }): Promise<Nginx> {
  requireTool('nginx', NGINX);
  if (opts.js) requireFile('njs', JS_MODULE);
  const dir = opts.dir;
  mkdirSync(join(dir, 'logs'), { recursive: true });
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  writeFileSync(join(dir, 'site.conf'), snippet);
  const conf = [
    opts.js ? `load_module ${JS_MODULE};` : '',
    ...(opts.main ?? []),
    'worker_processes 1;',
    `error_log ${dir}/logs/error.log info;`,
    'events { worker_connections 256; }',
    'http {',
    `  access_log ${dir}/logs/access.log;`,
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${dir}/tmp/${t};`),
    `  include ${dir}/site.conf;`,
    '}',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const child = startChild(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', `daemon off; pid ${dir}/nginx.pid;`]);
  const errorLog = () => {
    try {
      return readFileSync(join(dir, 'logs', 'error.log'), 'utf8');
    } catch {
      return '';
    }
  };
  try {
    // The pid file is written only after every listening socket is bound: before it, a port
    // that answers may belong to someone else.
    await waitFor('nginx pid file', () => {
      if (child.proc.exitCode !== null) throw new Error(`nginx exited: ${child.output()} ${errorLog()}`);
      return existsSync(join(dir, 'nginx.pid')) ? true : undefined;
    }, 10_000);
    for (const port of ports) {
      await waitFor(`nginx on port ${port}`, async () => {
        if (child.proc.exitCode !== null) throw new Error(`nginx exited: ${child.output()} ${errorLog()}`);
        return (await canConnect(port)) ? true : undefined;
      }, 10_000);
    }
  } catch (err) {
    await child.stop();
    throw err;
  }
  return { dir, accessLog: join(dir, 'logs', 'access.log'), errorLog, stop: () => child.stop() };
}

export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export interface WormwatchProcess {
  child: Child;
  /** The proxy's port. */
  port: number;
  adminUrl: string;
  stop(): Promise<void>;
}

/**
 * Runs `wormwatch <args>` as a real CLI process with its proxy and admin server on free ports
 * (`--listen=127.0.0.1:N` in `args` is moved to one), a temporary data directory and notices off, and waits for `/readyz`.
 */
export async function startWormwatchCli(args: string[]): Promise<WormwatchProcess> {
  const data = tempDir('data');
  const [listenPort, adminPort] = (await freePorts(2)) as [number, number];
  const finalArgs = args
    .map((a) => a.replace(/^--listen=127\.0\.0\.1:\d+$/, `--listen=127.0.0.1:${listenPort}`))
    .concat([`--admin-listen=127.0.0.1:${adminPort}`, `--data-dir=${data.path}`, '--notify=off', '--log-level=warn']);
  assert.ok(finalArgs.includes(`--listen=127.0.0.1:${listenPort}`), `no --listen=127.0.0.1:PORT in ${args.join(' ')}`);
  const child = startChild(CLI[0], [...CLI.slice(1), ...finalArgs], { cwd: ROOT, env: cleanEnv() });
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const stop = async () => {
    await child.stop();
    data.remove();
  };
  try {
    await waitFor('wormwatch /readyz', async () => {
      if (child.proc.exitCode !== null) throw new Error(`wormwatch exited ${child.proc.exitCode}: ${child.output()}`);
      const r = await fetch(`${adminUrl}/readyz`).catch(() => null);
      return r?.ok ? true : undefined;
    }, 20_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { child, port: listenPort, adminUrl, stop };
}

/** Sum of `wormwatch_detections_total` samples whose labels include all of `labels`. */
export async function detections(adminUrl: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    const m = /^wormwatch_detections_total\{([^}]*)\} (\S+)$/.exec(line);
    if (!m) continue;
    const have = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) total += Number(m[2]);
  }
  return total;
}
