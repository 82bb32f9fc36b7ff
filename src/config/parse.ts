import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Value parsers for options. Each takes what a flag, an environment variable or a config file
 * gave (a string from the first two, any JSON/YAML value from the last) and returns the typed
 * value or throws an Error whose message completes "expected …".
 */
export type Parser<T> = (raw: unknown) => T;

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `500ms`, `5s`, `10m`, `24h`, `30d`, or a bare number of milliseconds. */
export const duration: Parser<number> = (raw) => {
  if (typeof raw === 'number' && Number.isFinite(raw) && raw >= 0) return raw;
  const m = typeof raw === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(raw) : null;
  if (!m) throw new Error('a duration such as 500ms, 5s, 10m, 24h or 30d');
  return Math.round(Number(m[1]) * DURATION_UNITS[m[2] ?? 'ms']!);
};

/** A duration of at least `min` ms (a period that must not be 0). */
export function durationAtLeast(min: number): Parser<number> {
  return (raw) => {
    const ms = duration(raw);
    if (ms < min) throw new Error(`a duration of at least ${min}ms, such as 24h`);
    return ms;
  };
}

/** The longest delay a Node timer can hold: longer ones fire after 1 ms (with a warning). */
export const TIMER_MAX_MS = 2 ** 31 - 1;

/**
 * A duration that becomes a timer (a time-out): from `min` to TIMER_MAX_MS (24.8 days). A
 * longer one would not wait longer, it would fire at once, failing every request.
 */
export function timer(min: number): Parser<number> {
  return (raw) => {
    const ms = duration(raw);
    if (ms < min || ms > TIMER_MAX_MS) throw new Error(`a duration from ${min === 0 ? '0' : `${min}ms`} to 24d, such as 30s (a Node timer cannot wait longer${min > 0 ? ', and 0 would turn it off' : ''})`);
    return ms;
  };
}

export function integer(min: number, max = Number.MAX_SAFE_INTEGER): Parser<number> {
  return (raw) => {
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`an integer from ${min} to ${max}`);
    return n;
  };
}

/** A decimal number from `min` to `max` (`2`, `1.5`). */
export function decimal(min: number, max: number): Parser<number> {
  return (raw) => {
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d+(?:\.\d+)?\s*$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`a number from ${min} to ${max}, such as 2 or 1.5`);
    return n;
  };
}

export const boolean: Parser<boolean> = (raw) => {
  if (typeof raw === 'boolean') return raw;
  if (typeof raw === 'string') {
    const v = raw.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off'].includes(v)) return false;
  }
  throw new Error('true or false');
};

export const text: Parser<string> = (raw) => {
  if (typeof raw !== 'string') throw new Error('a string');
  return raw;
};

/** A string with something in it (a path, a name): an empty one is a mistake, not a default. */
export const nonEmptyText: Parser<string> = (raw) => {
  if (typeof raw !== 'string' || raw.trim() === '') throw new Error('a non-empty value');
  return raw;
};

export function oneOf<T extends string>(...values: T[]): Parser<T> {
  return (raw) => {
    if (typeof raw === 'string' && (values as string[]).includes(raw)) return raw as T;
    throw new Error(`one of ${values.join(', ')}`);
  };
}

/** A comma-separated list (or array) of values from a fixed set, each at most once; at least one. */
export function someOf<T extends string>(...values: T[]): Parser<T[]> {
  return (raw) => {
    const items = (Array.isArray(raw) ? raw.map(String) : String(raw).split(',')).map((s) => s.trim()).filter((s) => s.length > 0);
    if (items.length === 0 || items.some((s) => !(values as string[]).includes(s))) throw new Error(`a comma-separated list of ${values.join(', ')}`);
    return [...new Set(items)] as T[];
  };
}

/** An http(s) URL without credentials, query or fragment; `example` is what the error asks for. */
function httpUrl(example: string): Parser<URL> {
  return (raw) => {
    let url: URL;
    try {
      url = new URL(String(raw));
    } catch {
      throw new Error(example);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('an http:// or https:// URL');
    if (url.username || url.password || url.search || url.hash) throw new Error('a URL without credentials, query or fragment');
    return url;
  };
}

/** `http://host:port` or `https://host:port`, with no path beyond `/`, query, or credentials. */
export const originUrl: Parser<URL> = httpUrl('an origin URL such as http://127.0.0.1:3000');

/** An http(s) base URL (a path is kept), without credentials, query or fragment. */
export const baseUrl: Parser<URL> = httpUrl('an http(s) base URL such as https://rdap.example.net/');

export interface ListenAddress {
  host: string;
  port: number;
}

/** `HOST:PORT`, `[V6]:PORT`, `:PORT` or `PORT` (all interfaces); port 0 picks a free one. */
export const listenAddress: Parser<ListenAddress> = (raw) => {
  const s = String(raw).trim();
  // The host and its colon come together, so `18900` is a port, never the host "1890" and port 0.
  const m = /^(?:(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+))?:)?(\d{1,5})$/.exec(s);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new Error('HOST:PORT, [IPV6]:PORT or PORT, for example 127.0.0.1:9090');
  const host = m[1] ?? m[2] ?? '0.0.0.0';
  if (m[1] && isIP(m[1]) !== 6) throw new Error('a valid IPv6 address inside the brackets');
  return { host, port };
};

/**
 * A Redis server: `redis://[user:pass@]host[:port][/db]`, `rediss://…` (TLS), or a unix socket
 * as `unix:///path/redis.sock` or an absolute path. Kept as a URL (`unix:` for a socket).
 */
export const redisUrl: Parser<URL> = (raw) => {
  const s = String(raw).trim();
  let url: URL;
  try {
    url = new URL(s.startsWith('/') ? `unix://${s}` : s);
  } catch {
    throw new Error('a Redis URL such as redis://127.0.0.1:6379, rediss://host:6380 or unix:///run/redis.sock');
  }
  if (url.protocol === 'unix:') {
    if (url.pathname === '' || url.pathname === '/') throw new Error('unix:///path/to/redis.sock (the socket path)');
    return url;
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new Error('a redis://, rediss:// or unix:// URL');
  if (url.hostname === '' || !/^\/?\d{0,2}$/.test(url.pathname) || url.search || url.hash) throw new Error('redis[s]://[user:pass@]host[:port][/db], without query or fragment');
  return url;
};

/** A short name safe in Redis keys and metrics: letters, digits, `._-`, 1 to 63 characters. */
export const shortName: Parser<string> = (raw) => {
  const s = String(raw).trim();
  if (!/^[A-Za-z0-9._-]{1,63}$/.test(s)) throw new Error('1 to 63 letters, digits, dots, dashes or underscores');
  return s;
};

/** A comma-separated list (or array) of CIDR ranges or single addresses. */
export const cidrList: Parser<string[]> = (raw) => {
  const items = Array.isArray(raw) ? raw.map(String) : String(raw).split(',');
  const list = items.map((s) => s.trim()).filter((s) => s.length > 0);
  for (const item of list) {
    const ok = item.includes('/') ? safe(() => ipaddr.parseCIDR(item)) : ipaddr.isValid(item);
    if (!ok) throw new Error(`CIDR ranges such as 10.0.0.0/8,::1/128 (bad entry "${item}")`);
  }
  return list;
};

/** An HTTP header field name (RFC 9110 token), returned lower-case as Node keys headers. */
export const headerName: Parser<string> = (raw) => {
  if (typeof raw !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(raw.trim())) throw new Error('a header name such as X-Real-IP');
  return raw.trim().toLowerCase();
};

/**
 * Where a log line keeps the client address (`--client-ip-field`): a header name, lower-cased
 * (`x-forwarded-for`), an nginx `$variable` as written, or the position of a quoted field of a
 * combined line, 2 to 32 (1 is the request line itself).
 */
export const clientIpField: Parser<string | number> = (raw) => {
  const s = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n < 2 || n > 32) throw new Error('a quoted field from 2 to 32 (1 is the request line; 4 is the first column after the user agent)');
    return n;
  }
  if (/^\$[A-Za-z0-9_]{1,64}$/.test(s)) return s.toLowerCase();
  if (/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/.test(s)) return s.toLowerCase();
  throw new Error('a header name such as X-Forwarded-For or CF-Connecting-IP, an nginx $variable, or a quoted field\'s position such as 4');
};

/** A comma-separated list (or array) of non-empty strings. */
export const stringList: Parser<string[]> = (raw) => {
  const items = Array.isArray(raw) ? raw.map(String) : String(raw).split(',');
  return items.map((s) => s.trim()).filter((s) => s.length > 0);
};

// notices
/** `smtp://user:pass@host:port` (STARTTLS when offered) or `smtps://…` (TLS from the start). */
export const smtpUrl: Parser<URL> = (raw) => {
  let url: URL;
  try {
    url = new URL(String(raw));
  } catch {
    throw new Error('an SMTP URL such as smtp://user:pass@mail.example.net:587');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw new Error('an smtp:// or smtps:// URL');
  if (!url.hostname) throw new Error('an SMTP URL with a host');
  return url;
};

const MAILBOX = /^(?:[^<>@\x00-\x1f\x7f]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/;

/** One address, `user@example.net` or `Name <user@example.net>`; never a control character. */
export const mailbox: Parser<string> = (raw) => {
  const s = typeof raw === 'string' ? raw.trim() : '';
  if (!MAILBOX.test(s)) throw new Error('an e-mail address such as wormwatch@example.net or "Security <sec@example.net>"');
  return s;
};

/** A comma-separated list (or array) of plain addresses. */
export const mailboxList: Parser<string[]> = (raw) => stringList(raw).map((s) => mailbox(s));

/** Recipient templates: `local@{ip}`, `local@{hostname}` or a fixed `local@domain`. */
export const recipientTemplates: Parser<string[]> = (raw) => {
  const list = stringList(raw);
  for (const t of list) {
    if (!/^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?:\{ip\}|\{hostname\}|[A-Za-z0-9.-]+)$/.test(t)) {
      throw new Error(`templates such as administrator@{ip},administrator@{hostname} (bad entry "${t}")`);
    }
  }
  return list;
};

/** DNS servers: `IP`, `IP:PORT` or `[IPV6]:PORT`, comma-separated. */
export const dnsServers: Parser<string[]> = (raw) => {
  const list = stringList(raw);
  for (const s of list) {
    const m = /^(?:\[([0-9a-fA-F:.]+)\]:(\d{1,5})|([0-9.]+)(?::(\d{1,5}))?|([0-9a-fA-F:]+))$/.exec(s);
    const host = m?.[1] ?? m?.[3] ?? m?.[5];
    const port = Number(m?.[2] ?? m?.[4] ?? 53);
    if (!host || !isIP(host) || port < 1 || port > 65535) throw new Error(`DNS servers such as 127.0.0.1:53,[::1]:53 (bad entry "${s}")`);
  }
  return list;
};

function safe(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch {
    return false;
  }
}
