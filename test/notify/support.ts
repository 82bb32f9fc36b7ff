// Shared plumbing for the notice tests: real SMTP (smtp-server) and DNS (dns2) servers on
// 127.0.0.1, temporary data dirs, options as the CLI builds them, and bounded polling.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import dns2 from 'dns2';
import ipaddr from 'ipaddr.js';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { createMetrics } from '../../src/metrics.js';
import { loadOptions } from '../../src/config/load.js';
import type { Options } from '../../src/config/options.js';
import { builtinCatalogue } from '../../src/rules/index.js';
import type { DetectionEvent } from '../../src/detect/detection.js';
import { createLogger } from '../../src/log.js';
import { createNotifier, type Notifier, type NotifierDeps } from '../../src/notify/index.js';
import { GUARDED_NODE_ARGS } from '../helpers/no-network.js';
import { assertNoticesStayLocal, assertServeFlagsStayLocal } from '../helpers/notice-guard.js';

export function tempDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'wormwatch-notify-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * An RDAP base URL on loopback where nothing listens: tests of the host tier leave the abuse tier
 * on (the default) and its lookups fail at once, on the machine, and are retried later.
 */
export const NO_RDAP = 'http://127.0.0.1:9/';

/** Options exactly as `loadOptions` builds them from flags (no environment, no file); RDAP on loopback unless given. */
export function noticeOptions(flags: Partial<Record<keyof Options, unknown>>): Options {
  return loadOptions({ flags: { logLevel: 'silent', noticeRetryBase: '50ms', noticeRetryMax: '200ms', rdapUrl: NO_RDAP, ...flags }, env: {} });
}

export function detection(ip: string, at = new Date(), requestLine = 'GET /default.ida?NNNNNNNN HTTP/1.0'): DetectionEvent {
  const signature = builtinCatalogue().find((s) => s.id === 'codered-ii') ?? builtinCatalogue()[0]!;
  return { ip, at, action: 'forwarded', requestLine, verdict: { signature, stage: signature.stage, evidence: requestLine } };
}

/** What the proxy emits when the origin served `path` (probe-dotenv) with `status`: an exposure. */
export function exposure(ip: string, path = '/.env', at = new Date(), status = 200): DetectionEvent {
  const signature = builtinCatalogue().find((s) => s.id === 'probe-dotenv')!;
  const requestLine = `GET ${path} HTTP/1.1`;
  return { ip, at, action: 'forwarded', requestLine, verdict: { signature, stage: signature.stage, evidence: requestLine }, answer: { status, exposure: true, path } };
}

export function startNotifier(options: Options, offenders?: NotifierDeps['offenders']): { notifier: Notifier; metrics: ReturnType<typeof createMetrics> } {
  assertNoticesStayLocal(options);
  const metrics = createMetrics('test');
  const notifier = createNotifier(options, { metrics: metrics.notices, logger: createLogger('silent'), ...(offenders ? { offenders } : {}) });
  return { notifier, metrics };
}

/** Polls `check` every 10 ms until it returns a truthy value, or fails after `ms`. */
export async function waitFor<T>(check: () => T | Promise<T>, ms = 10_000, what = 'condition'): Promise<NonNullable<T>> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  headers: Map<string, string>;
  body: string;
  /** True when the message came over TLS (after STARTTLS). */
  secure: boolean;
}

/** What the SMTP server answers at end of DATA: accept, a temporary or a permanent refusal, or never. */
export type SmtpBehaviour = 'accept' | 'tempfail' | 'permfail' | 'hold';

export interface TestSmtp {
  port: number;
  url: string;
  received: ReceivedMail[];
  /** Messages whose DATA arrived and is being held (behaviour `hold`). */
  held: number;
  behaviour: SmtpBehaviour;
  /** Answer the next `n` messages with `tempfail`, then `behaviour`. */
  tempfailNext: number;
  /** Answers every held message now: a temporary or permanent refusal (acceptance is not offered: nothing would record it). */
  answerHeld(mode: 'tempfail' | 'permfail'): void;
  close(): Promise<void>;
}

/** `starttls`: offer STARTTLS with smtp-server's built-in self-signed certificate. */
export async function startSmtp(behaviour: SmtpBehaviour = 'accept', port = 0, starttls = false): Promise<TestSmtp> {
  const holding: Array<(err?: Error) => void> = [];
  const state: TestSmtp = {
    port: 0, url: '', received: [], held: 0, behaviour, tempfailNext: 0,
    answerHeld(mode) {
      for (const callback of holding.splice(0)) refuse(callback, mode);
      state.held = 0;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: starttls ? ['AUTH'] : ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const mode = state.tempfailNext > 0 ? (state.tempfailNext--, 'tempfail') : state.behaviour;
        if (mode === 'hold') {
          state.held++;
          holding.push(callback);
          return;
        }
        if (mode === 'tempfail' || mode === 'permfail') return refuse(callback, mode);
        state.received.push(parseMail(session, Buffer.concat(chunks).toString('utf8')));
        callback();
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.listen(port, '127.0.0.1', () => resolve());
    (server as unknown as { server: NodeJS.EventEmitter }).server.once('error', reject);
  });
  state.port = ((server as unknown as { server: { address(): AddressInfo } }).server.address()).port;
  state.url = `smtp://127.0.0.1:${state.port}`;
  return state;
}

function refuse(callback: (err?: Error) => void, mode: 'tempfail' | 'permfail'): void {
  if (mode === 'tempfail') callback(Object.assign(new Error('4.3.0 Try again later'), { responseCode: 451 }));
  else callback(Object.assign(new Error('5.7.1 Relaying denied'), { responseCode: 554 }));
}

function parseMail(session: SMTPServerSession, raw: string): ReceivedMail {
  const [head = '', ...rest] = raw.split('\r\n\r\n');
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers.set(line.slice(0, i).toLowerCase(), line.slice(i + 1).trim());
  }
  const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
  let body = rest.join('\r\n\r\n');
  if (/quoted-printable/i.test(headers.get('content-transfer-encoding') ?? '')) {
    body = Buffer.from(body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
  }
  return { from, to: session.envelope.rcptTo.map((r) => r.address), raw, headers, body, secure: Boolean(session.secure) };
}

/** Answers for the loopback DNS server: PTR by address, A/AAAA by name; `hang` answers nothing. */
export interface Zone {
  ptr?: Record<string, string[]>;
  a?: Record<string, string[]>;
  aaaa?: Record<string, string[]>;
  hang?: boolean;
}

export interface TestDns {
  server: string;
  queries: { name: string; type: number }[];
  zone: Zone;
  /** Called on every query, before it is answered. */
  onQuery?: (name: string) => void;
  close(): Promise<void>;
}

export async function startDns(zone: Zone): Promise<TestDns> {
  const { Packet } = dns2;
  const state: TestDns = { server: '', queries: [], zone, close: async () => undefined };
  const server = dns2.createServer({
    udp: true,
    handle(request: { questions: { name: string; type: number }[] }, send: (r: unknown) => void) {
      const response = Packet.createResponseFromRequest(request);
      const q = request.questions[0]!;
      state.queries.push({ name: q.name, type: q.type });
      state.onQuery?.(q.name);
      if (state.zone.hang) return;
      const name = q.name.toLowerCase().replace(/\.$/, '');
      if (q.type === Packet.TYPE.PTR) {
        for (const domain of state.zone.ptr?.[ptrToIp(name)] ?? []) response.answers.push({ name: q.name, type: Packet.TYPE.PTR, class: Packet.CLASS.IN, ttl: 60, domain });
      } else if (q.type === Packet.TYPE.A) {
        for (const address of state.zone.a?.[name] ?? []) response.answers.push({ name: q.name, type: Packet.TYPE.A, class: Packet.CLASS.IN, ttl: 60, address });
      } else if (q.type === Packet.TYPE.AAAA) {
        for (const address of state.zone.aaaa?.[name] ?? []) response.answers.push({ name: q.name, type: Packet.TYPE.AAAA, class: Packet.CLASS.IN, ttl: 60, address });
      }
      send(response);
    },
  });
  const addresses = (await server.listen({ udp: { port: 0, address: '127.0.0.1', type: 'udp4' } })) as { udp: AddressInfo };
  state.server = `127.0.0.1:${addresses.udp.port}`;
  state.close = () => server.close();
  return state;
}

/** `156.32.33.45.in-addr.arpa` → `45.33.32.156`; ip6.arpa nibbles → the compressed IPv6 form. */
function ptrToIp(name: string): string {
  if (name.endsWith('.in-addr.arpa')) return name.replace('.in-addr.arpa', '').split('.').reverse().join('.');
  const hex = name.replace('.ip6.arpa', '').split('.').reverse().join('');
  return ipaddr.parse((hex.match(/.{4}/g) ?? []).join(':')).toString();
}

/** `wormwatch serve` as a user runs it (`node --import tsx src/cli/main.ts serve ...`), in a child process. */
export interface ServeProcess {
  child: ChildProcess;
  proxyPort: number;
  adminPort: number;
  exited: Promise<number | null>;
  /** Every JSON log line the process wrote on stdout so far, parsed. */
  logs: Record<string, unknown>[];
  /** Sends a request through the proxy as if from `ip` (X-Forwarded-For, trusted from 127.0.0.1). */
  probe(ip: string, path: string): Promise<number>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = [process.execPath, ...GUARDED_NODE_ARGS, join(ROOT, 'src', 'cli', 'main.ts')];

export async function startServe(flags: Record<string, string>, env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const args = [...CLI.slice(1), 'serve', '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--trust-proxy', '127.0.0.1/32', '--log-level', 'info'];
  for (const [k, v] of Object.entries({ 'rdap-url': NO_RDAP, ...flags })) args.push(`--${k}`, v);
  assertServeFlagsStayLocal(args);
  const child = spawn(CLI[0]!, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const logs: Record<string, unknown>[] = [];
  let partial = '';
  child.stdout!.on('data', (c: Buffer) => {
    const lines = (partial + c.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a log line
      }
    }
  });
  const listening = await new Promise<{ proxy: AddressInfo; admin: AddressInfo }>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 60_000);
    child.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      for (const line of buf.split('\n')) {
        if (line.includes('"wormwatch listening"')) {
          clearTimeout(timer);
          resolve(JSON.parse(line) as { proxy: AddressInfo; admin: AddressInfo });
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${stderr}`));
    });
  });
  const proxyPort = listening.proxy.port;
  return {
    child, proxyPort, adminPort: listening.admin.port, exited, logs,
    async probe(ip, path) {
      const res = await fetch(`http://127.0.0.1:${proxyPort}${path}`, { headers: { 'x-forwarded-for': ip } });
      await res.arrayBuffer();
      return res.status;
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
