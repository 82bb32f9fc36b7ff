/**
 * The notice guard: a test that turns notices on must point every lookup they make at loopback
 * servers (`--dns-server` for reverse DNS, `--rdap-url` for the abuse tier's RDAP, or an
 * `--rdap-bootstrap` naming only loopback registries, `--smtp-url` when set). It fails the test
 * before anything starts, naming the flag, where the network guard (no-network.ts) would only
 * catch the first query once it is already on its way.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadOptions } from '../../src/config/load.js';
import type { Options } from '../../src/config/options.js';
import { notifyMode, tiersOf } from '../../src/notify/index.js';
import { isLoopbackHost } from './no-network.js';

export class NoticeGuardError extends Error {
  override name = 'NoticeGuardError';
}

type NoticeSettings = Pick<Options, 'notify' | 'smtpUrl' | 'redisUrl' | 'dnsServer' | 'noticeTiers' | 'rdapUrl' | 'rdapBootstrap'>;

/** `127.0.0.1:5353`, `[::1]:53`, `::1` → the host part. */
function hostOf(server: string): string {
  const bracketed = /^\[([^\]]+)\]/.exec(server);
  if (bracketed) return bracketed[1]!;
  return /^[\d.]+:\d+$/.test(server) ? server.slice(0, server.lastIndexOf(':')) : server;
}

/** Throws a NoticeGuardError when these options would let a notice lookup leave the machine. */
export function assertNoticesStayLocal(o: NoticeSettings): void {
  const refuse = (why: string): never => {
    throw new NoticeGuardError(`notice guard: ${why}; tests that enable notices must point --dns-server and --rdap-url at loopback servers (test/notify/support.ts starts them)`);
  };
  if (o.smtpUrl !== undefined && !isLoopbackHost(o.smtpUrl.hostname)) refuse(`--smtp-url ${o.smtpUrl.hostname} is not loopback`);
  if (notifyMode(o) === 'off') return;
  if (o.dnsServer.length === 0) refuse('--dns-server is not set, so reverse lookups would ask the system resolver');
  const outside = o.dnsServer.filter((s) => !isLoopbackHost(hostOf(s)));
  if (outside.length > 0) refuse(`--dns-server ${outside.join(',')} is not loopback`);
  if (!tiersOf(o).abuse) return;
  if (o.rdapUrl === undefined && o.rdapBootstrap !== undefined) {
    const outside = bootstrapServers(o.rdapBootstrap).filter((u) => !isLoopbackHost(new URL(u).hostname));
    if (outside.length > 0) refuse(`--rdap-bootstrap ${o.rdapBootstrap} names registries off loopback (${outside.slice(0, 3).join(', ')})`);
    return;
  }
  const rdap = o.rdapUrl ?? refuse('--rdap-url is not set, so RDAP lookups would go to the registries of the shipped bootstrap');
  if (!isLoopbackHost(rdap.hostname)) refuse(`--rdap-url ${rdap.hostname} is not loopback`);
}

/** Every registry URL of a bootstrap file or directory (the test wrote it; unreadable reads as one bad URL). */
function bootstrapServers(path: string): string[] {
  const files = statSync(path, { throwIfNoEntry: false })?.isDirectory() ? ['ipv4.json', 'ipv6.json'].map((f) => join(path, f)) : [path];
  try {
    const docs = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as { services?: [string[], string[]][]; ipv4?: { services?: [string[], string[]][] }; ipv6?: { services?: [string[], string[]][] } });
    const services = docs.flatMap((d) => [...(d.services ?? []), ...(d.ipv4?.services ?? []), ...(d.ipv6?.services ?? [])]);
    return services.flatMap(([, urls]) => urls);
  } catch {
    return ['http://unreadable.invalid/'];
  }
}

/** The options, once checked: `startWormwatch(stayingLocal(options), ...)`. */
export function stayingLocal<T extends NoticeSettings>(o: T): T {
  assertNoticesStayLocal(o);
  return o;
}

/** The same check for the flags of a `wormwatch serve` child process (`--dns-server` and so on). */
export function assertServeFlagsStayLocal(args: readonly string[]): void {
  const flags: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const m = /^--([a-z][a-z0-9-]*)$/.exec(args[i]!);
    if (m && args[i + 1] !== undefined && !args[i + 1]!.startsWith('--')) flags[m[1]!.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase())] = args[++i]!;
  }
  const keys = ['notify', 'smtpUrl', 'dnsServer', 'noticeTiers', 'rdapUrl', 'rdapBootstrap'];
  assertNoticesStayLocal(loadOptions({ flags: Object.fromEntries(Object.entries(flags).filter(([k]) => keys.includes(k))), env: {} }));
}
