/**
 * A guard that makes the test process refuse to talk to anything but loopback: TCP connects
 * (net.Socket.prototype.connect, which net.connect, tls.connect, fetch/undici, nodemailer and
 * redis clients all go through) and DNS queries (dns.lookup for names other than localhost and
 * literal addresses; dns and dns.promises Resolver methods and module functions when a server
 * they would ask is not loopback). The error names the destination and how to fix the test.
 */
import dns from 'node:dns';
import net from 'node:net';

export class NetworkGuardError extends Error {
  override name = 'NetworkGuardError';
  readonly code = 'EWORMWATCH_OFF_LOOPBACK';
}

const HINT = 'tests must not leave the machine: point the component at a loopback server (127.0.0.1), e.g. --rdap-url, --dns-server, --smtp-url';

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) return h === '::1' || /^::ffff:127\./.test(h) || /^0*:(0*:){5}0*:?0*1$/.test(h);
  return false;
}

function refuse(what: string): never {
  throw new NetworkGuardError(`network guard: refused ${what}; ${HINT}`);
}

/** `host:port` of a Socket#connect call, whichever of its signatures was used; null for IPC paths. */
function destination(args: unknown[]): { host: string; port: unknown } | null {
  let first = args[0];
  if (Array.isArray(first)) first = first[0]; // net.connect passes normalised [options, cb]
  if (typeof first === 'object' && first !== null) {
    const o = first as { path?: unknown; host?: unknown; port?: unknown };
    if (typeof o.path === 'string') return null;
    return { host: typeof o.host === 'string' && o.host !== '' ? o.host : 'localhost', port: o.port };
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return null; // a path
  return { host: typeof args[1] === 'string' ? args[1] : 'localhost', port: first };
}

const RESOLVER_METHODS = ['resolve', 'resolveAny', 'resolve4', 'resolve6', 'resolveCaa', 'resolveCname', 'resolveMx', 'resolveNaptr', 'resolveNs', 'resolvePtr', 'resolveSoa', 'resolveSrv', 'resolveTxt', 'reverse'] as const;

function serversOf(target: { getServers(): string[] }): string[] {
  return target.getServers().map((s) => s.replace(/^\[([^\]]+)\](:\d+)?$/, '$1').replace(/^(\d+\.\d+\.\d+\.\d+):\d+$/, '$1'));
}

function checkServers(servers: string[], method: string, args: unknown[]): void {
  const outside = servers.filter((s) => !isLoopbackHost(s));
  if (outside.length > 0) refuse(`a DNS ${method}(${String(args[0]).slice(0, 100)}) query to ${outside.join(', ')} (not loopback)`);
}

type Patch = { target: object; key: string; original: unknown };

/**
 * Installs the guard; returns a function that removes it. Installing twice is harmless (the
 * second call returns a no-op).
 */
export function installNetworkGuard(): () => void {
  if ((globalThis as { __wormwatchNetworkGuard?: boolean }).__wormwatchNetworkGuard) return () => {};
  (globalThis as { __wormwatchNetworkGuard?: boolean }).__wormwatchNetworkGuard = true;
  const patches: Patch[] = [];
  const patch = (target: object, key: string, make: (original: (...a: unknown[]) => unknown) => (...a: unknown[]) => unknown): void => {
    const original = (target as Record<string, unknown>)[key];
    if (typeof original !== 'function') return;
    patches.push({ target, key, original });
    (target as Record<string, unknown>)[key] = make(original as (...a: unknown[]) => unknown);
  };

  patch(net.Socket.prototype, 'connect', (original) => function (this: net.Socket, ...args: unknown[]) {
    const to = destination(args);
    if (to && !isLoopbackHost(to.host)) refuse(`a TCP connection to ${to.host}:${String(to.port)} (not loopback)`);
    return original.apply(this, args);
  });

  const lookup = (original: (...a: unknown[]) => unknown) => function (this: unknown, ...args: unknown[]) {
    const host = String(args[0]);
    if (!isLoopbackHost(host) && net.isIP(host) === 0) refuse(`a DNS lookup of ${host.slice(0, 100)} (only literal addresses and localhost may be looked up)`);
    return original.apply(this, args);
  };
  patch(dns, 'lookup', lookup);
  patch(dns.promises, 'lookup', lookup);

  for (const method of RESOLVER_METHODS) {
    const viaResolver = (original: (...a: unknown[]) => unknown) => function (this: { getServers(): string[] }, ...args: unknown[]) {
      checkServers(serversOf(this), method, args);
      return original.apply(this, args);
    };
    patch(dns.Resolver.prototype, method, viaResolver);
    patch(dns.promises.Resolver.prototype, method, viaResolver);
    // Module functions are bound to the default resolver at load time, so they need their own patch.
    patch(dns, method, (original) => function (this: unknown, ...args: unknown[]) {
      checkServers(serversOf(dns), method, args);
      return original.apply(this, args);
    });
    patch(dns.promises, method, (original) => function (this: unknown, ...args: unknown[]) {
      checkServers(serversOf(dns.promises), method, args);
      return original.apply(this, args);
    });
  }

  return () => {
    for (const p of patches.reverse()) (p.target as Record<string, unknown>)[p.key] = p.original;
    (globalThis as { __wormwatchNetworkGuard?: boolean }).__wormwatchNetworkGuard = false;
  };
}

/**
 * The node arguments every test-spawned wormwatch (or other TypeScript child) runs with: tsx,
 * and this guard preloaded, so a child process cannot reach off the machine either.
 */
export const GUARDED_NODE_ARGS: readonly string[] = ['--import', 'tsx', '--import', new URL('./no-network-preload.ts', import.meta.url).pathname];
