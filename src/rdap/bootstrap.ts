import { readFile, stat } from 'node:fs/promises';
import ipv4 from './data/ipv4.json' with { type: 'json' };
import ipv6 from './data/ipv6.json' with { type: 'json' };
import { contains, parseAddr, parsePrefix, type Prefix } from './prefix.js';

/** One IANA bootstrap file (RFC 9224 §3): `services` is `[[entries...], [base URLs...]]`. */
export interface BootstrapFile {
  version: string;
  publication: string;
  description?: string;
  services: [string[], string[]][];
}

export interface Bootstrap {
  ipv4: BootstrapFile;
  ipv6: BootstrapFile;
}

/** Bounds on a bootstrap file given by the user or fetched by update-bootstrap. */
export const BOOTSTRAP_MAX_SERVICES = 1000;
export const BOOTSTRAP_MAX_ENTRIES = 100_000;
const MAX_URLS_PER_SERVICE = 10;
const MAX_URL_LENGTH = 500;

/** The copy shipped in the package (provenance in src/rdap/data/SOURCE.md). */
export const SHIPPED_BOOTSTRAP: Bootstrap = {
  ipv4: validateBootstrapFile(ipv4, 4, 'the shipped ipv4.json'),
  ipv6: validateBootstrapFile(ipv6, 6, 'the shipped ipv6.json'),
};

export class BootstrapError extends Error {
  override name = 'BootstrapError';
}

/**
 * Checks the RFC 9224 shape: version, publication, services of [prefixes, base URLs] with
 * prefixes of the right family and http(s) base URLs. Throws a BootstrapError naming what is
 * wrong; returns the value typed.
 */
export function validateBootstrapFile(json: unknown, family: 4 | 6, what: string): BootstrapFile {
  const fail = (why: string): never => {
    throw new BootstrapError(`${what} is not an RDAP bootstrap file for IPv${family} (RFC 9224): ${why}`);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail('not a JSON object');
  const o = json as Record<string, unknown>;
  if (typeof o.version !== 'string') fail('"version" is missing');
  if (typeof o.publication !== 'string' || Number.isNaN(Date.parse(o.publication))) fail('"publication" is not a date');
  if (!Array.isArray(o.services)) return fail('"services" is not an array');
  if (o.services.length === 0) fail('"services" is empty');
  if (o.services.length > BOOTSTRAP_MAX_SERVICES) fail(`more than ${BOOTSTRAP_MAX_SERVICES} services`);
  let entries = 0;
  for (const [i, svc] of o.services.entries()) {
    if (!Array.isArray(svc) || svc.length < 2 || !Array.isArray(svc[0]) || !Array.isArray(svc[1])) fail(`service ${i} is not [[prefixes], [urls]]`);
    const [prefixes, urls] = svc as [unknown[], unknown[]];
    entries += prefixes.length;
    if (entries > BOOTSTRAP_MAX_ENTRIES) fail(`more than ${BOOTSTRAP_MAX_ENTRIES} prefixes`);
    for (const p of prefixes) {
      const parsed = parsePrefix(p);
      if (!parsed || parsed.family !== family) fail(`service ${i} has "${String(p).slice(0, 60)}", not an IPv${family} prefix`);
    }
    if (urls.length === 0 || urls.length > MAX_URLS_PER_SERVICE) fail(`service ${i} has ${urls.length} base URLs`);
    for (const u of urls) if (!isBaseUrl(u)) fail(`service ${i} has "${String(u).slice(0, 60)}", not an http(s) base URL`);
  }
  return { version: o.version as string, publication: o.publication as string, ...(typeof o.description === 'string' ? { description: o.description } : {}), services: o.services as [string[], string[]][] };
}

function isBaseUrl(u: unknown): boolean {
  if (typeof u !== 'string' || u.length > MAX_URL_LENGTH || /[\x00-\x20\x7f]/.test(u)) return false;
  try {
    const url = new URL(u);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

/**
 * Reads `--rdap-bootstrap FILE`: either one JSON object `{ "ipv4": {...}, "ipv6": {...} }`, or the
 * path of a directory holding IANA's `ipv4.json` and `ipv6.json` as written by update-bootstrap.
 */
export async function loadBootstrap(path: string): Promise<Bootstrap> {
  const read = async (p: string): Promise<unknown> => {
    let text: string;
    try {
      text = await readFile(p, 'utf8');
    } catch (err) {
      throw new BootstrapError(`cannot read the RDAP bootstrap ${p} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new BootstrapError(`the RDAP bootstrap ${p} is not valid JSON`);
    }
  };
  const isDir = await stat(path).then((s) => s.isDirectory(), () => false);
  if (isDir) {
    const [v4, v6] = await Promise.all([read(`${path}/ipv4.json`), read(`${path}/ipv6.json`)]);
    return { ipv4: validateBootstrapFile(v4, 4, `${path}/ipv4.json`), ipv6: validateBootstrapFile(v6, 6, `${path}/ipv6.json`) };
  }
  const both = (await read(path)) as Record<string, unknown> | null;
  if (typeof both !== 'object' || both === null) throw new BootstrapError(`the RDAP bootstrap ${path} must be an object with "ipv4" and "ipv6", or a directory`);
  return { ipv4: validateBootstrapFile(both.ipv4, 4, `${path} "ipv4"`), ipv6: validateBootstrapFile(both.ipv6, 6, `${path} "ipv6"`) };
}

interface CompiledEntry {
  prefix: Prefix;
  urls: string[];
}

/** Entries sorted longest prefix first; compiled once per bootstrap object. */
const compiled = new WeakMap<Bootstrap, CompiledEntry[]>();

function compile(b: Bootstrap): CompiledEntry[] {
  let out = compiled.get(b);
  if (!out) {
    out = [];
    for (const file of [b.ipv4, b.ipv6]) {
      for (const [prefixes, urls] of file.services) {
        const ordered = preferHttps(urls);
        for (const p of prefixes) {
          const prefix = parsePrefix(p);
          if (prefix) out.push({ prefix, urls: ordered });
        }
      }
    }
    out.sort((a, c) => c.prefix.length - a.prefix.length);
    compiled.set(b, out);
  }
  return out;
}

/** https first (RFC 9224 §4: clients should prefer https), original order otherwise. */
function preferHttps(urls: readonly string[]): string[] {
  return [...urls.filter((u) => u.startsWith('https:')), ...urls.filter((u) => !u.startsWith('https:'))];
}

/**
 * The base URLs of the registry responsible for `ip` by longest-prefix match, https first; []
 * when no entry covers it (or `ip` is not an address). Pure.
 */
export function baseUrlsFor(ip: string, bootstrap: Bootstrap): string[] {
  const a = parseAddr(ip);
  if (!a) return [];
  for (const e of compile(bootstrap)) if (contains(e.prefix, a)) return [...e.urls];
  return [];
}

/** Origins of every base URL in the bootstrap: the only hosts a referral may lead to. */
export function bootstrapOrigins(b: Bootstrap): Set<string> {
  const out = new Set<string>();
  for (const file of [b.ipv4, b.ipv6]) for (const [, urls] of file.services) for (const u of urls) out.add(new URL(u).origin);
  return out;
}
