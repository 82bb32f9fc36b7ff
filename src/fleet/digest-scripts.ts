import type { SharedHost } from '../notify/index.js';
import { DIGEST_MAX_HOSTS } from '../notify/abuse.js';
import { isSample, isSignature } from '../notify/abuse-facts.js';
import { MAX_SAMPLES, MAX_SIGNATURES } from '../notify/types.js';

/**
 * The Lua and the pure encoding of fleet-wide abuse digests (see digests.ts). One hash per abuse
 * mailbox and window, `dg:{m}:<w>`, one field per host (JSON) plus `#unlisted`, and its send
 * marker `dgsend:{m}:<w>`; both under the mailbox's hash tag, so a script's keys share a slot.
 */

/** The field that counts the hosts the fleet's copy had no room for. */
export const UNLISTED = '#unlisted';

/**
 * Merges one host's share into the window's hash, in one step: hit counts add up, first and last
 * seen widen, signatures and samples join up to their bounds. At most ARGV[3] hosts (more are
 * counted in #unlisted). 'closed' once the window was taken (the share missed the fleet's digest).
 * KEYS: hash, marker. ARGV: ip, host JSON, max hosts, ttl ms, max signatures, max samples.
 */
export const ADD = `
if redis.call('EXISTS', KEYS[2]) == 1 then return 'closed' end
redis.call('HSETNX', KEYS[1], '${UNLISTED}', 0)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then
  if redis.call('HLEN', KEYS[1]) > tonumber(ARGV[3]) then
    redis.call('HINCRBY', KEYS[1], '${UNLISTED}', 1)
    return 'unlisted'
  end
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return 'ok'
end
local o, a = cjson.decode(old), cjson.decode(ARGV[2])
o.hits = o.hits + a.hits
o.firstSeen = math.min(o.firstSeen, a.firstSeen)
o.lastSeen = math.max(o.lastSeen, a.lastSeen)
for _, s in ipairs(a.signatures) do
  local known = #o.signatures >= tonumber(ARGV[5])
  for _, x in ipairs(o.signatures) do if x.id == s.id then known = true end end
  if not known then table.insert(o.signatures, s) end
end
for _, s in ipairs(a.samples) do
  local known = #o.samples >= tonumber(ARGV[6])
  for _, x in ipairs(o.samples) do if x[2] == s[2] then known = true end end
  if not known then table.insert(o.samples, s) end
end
if o.network.asn == cjson.null and o.network.country == cjson.null then o.network = a.network end
if o.label == cjson.null then o.label = a.label end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(o))
return 'ok'
`;

/**
 * The window's one sender, in two steps so that a replica dying between them loses nothing.
 * TAKE: when the marker is set, its value ('taking:<replica>' or 'sent:<replica>'); otherwise
 * the marker becomes 'taking:<replica>' for a lease and the caller gets every field (a later
 * share sees 'closed'). The hash is kept until CONFIRM: a lease that runs out hands the window
 * to the next replica that settles it.
 * KEYS: hash, marker. ARGV: replica, lease ms.
 */
export const TAKE = `
local marker = redis.call('GET', KEYS[2])
if marker then return marker end
redis.call('SET', KEYS[2], 'taking:' .. ARGV[1], 'PX', ARGV[2])
return redis.call('HGETALL', KEYS[1])
`;

/**
 * The taker wrote the digest: the marker says 'sent:<replica>' until the window's keys expire,
 * and the hash goes. 0 when the lease had run out and another replica took the window.
 * KEYS: hash, marker. ARGV: replica, ttl ms.
 */
export const CONFIRM = `
if redis.call('GET', KEYS[2]) ~= 'taking:' .. ARGV[1] then return 0 end
redis.call('SET', KEYS[2], 'sent:' .. ARGV[1], 'PX', ARGV[2])
redis.call('DEL', KEYS[1])
return 1
`;

export const addArgs = (host: SharedHost): string => JSON.stringify({ ...host.facts, label: host.network });

/**
 * The fleet's digest from the hash's fields (HGETALL, flat), pure. Each value is checked (a
 * damaged one is left out, never thrown on) and bounded like a local entry; hosts in the order
 * they were first seen, at most DIGEST_MAX_HOSTS.
 */
export function fleetDigestOf(flat: readonly string[]): { hosts: SharedHost[]; unlisted: number } {
  const hosts: SharedHost[] = [];
  let unlisted = 0;
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const [field, value] = [flat[i]!, flat[i + 1]!];
    if (field === UNLISTED) unlisted = Math.max(0, Number(value) || 0);
    else {
      const host = hostOf(field, value);
      if (host !== null) hosts.push(host);
    }
  }
  hosts.sort((a, b) => a.facts.firstSeen - b.facts.firstSeen || (a.ip < b.ip ? -1 : 1));
  return { hosts: hosts.slice(0, DIGEST_MAX_HOSTS), unlisted: unlisted + Math.max(0, hosts.length - DIGEST_MAX_HOSTS) };
}

function hostOf(ip: string, value: string): SharedHost | null {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(value) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null || ip.length > 45 || ![v.hits, v.firstSeen, v.lastSeen].every(Number.isFinite)) return null;
  const n = (typeof v.network === 'object' && v.network !== null ? v.network : {}) as Record<string, unknown>;
  return {
    ip,
    network: typeof v.label === 'string' ? v.label.slice(0, 200) : null,
    facts: {
      hits: v.hits as number,
      firstSeen: v.firstSeen as number,
      lastSeen: v.lastSeen as number,
      // cjson writes an empty list as {}: anything not a list reads as empty.
      signatures: listOf(v.signatures, isSignature).slice(0, MAX_SIGNATURES),
      samples: listOf(v.samples, isSample).slice(0, MAX_SAMPLES),
      network: { asn: typeof n.asn === 'number' ? n.asn : null, asOrg: typeof n.asOrg === 'string' ? n.asOrg : null, country: typeof n.country === 'string' ? n.country : null },
    },
  };
}

const listOf = <T>(v: unknown, ok: (x: unknown) => x is T): T[] => (Array.isArray(v) ? v.filter(ok) : []);
