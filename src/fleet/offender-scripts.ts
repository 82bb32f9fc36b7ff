import type { Redis } from 'ioredis';

/**
 * The Lua scripts of fleet-wide offenders, each one atomic step on the server. RECORD adds one
 * replica's merged hits to an address's hash (`o:{ip}`, its samples in `o:{ip}:s`: the braces are a Redis Cluster hash tag,
 * so each address's keys live on one slot); INDEX adds addresses to the `offenders` sorted set by
 * last seen and trims it to the cap and the TTL, returning the addresses dropped (whose hashes
 * the caller unlinks: a multi-slot script would not run on a Cluster).
 */
const RECORD = `
local h = KEYS[1]
local hits = tonumber(ARGV[2])
redis.call('HINCRBY', h, 'hits', hits)
local rf = 'r:' .. ARGV[6]
if redis.call('HEXISTS', h, rf) == 1 or tonumber(redis.call('HGET', h, 'nrep') or '0') < tonumber(ARGV[13]) then
  if redis.call('HEXISTS', h, rf) == 0 then redis.call('HINCRBY', h, 'nrep', 1) end
  redis.call('HINCRBY', h, rf, hits)
else
  redis.call('HINCRBY', h, 'r:~other', hits)
end
local first = tonumber(redis.call('HGET', h, 'first') or '0')
if first == 0 or tonumber(ARGV[3]) < first then redis.call('HSET', h, 'first', ARGV[3]) end
local last = tonumber(redis.call('HGET', h, 'last') or '0')
if tonumber(ARGV[4]) >= last then redis.call('HSET', h, 'last', ARGV[4], 'family', ARGV[5], 'lastReplica', ARGV[6]) end
if ARGV[10] ~= '' then redis.call('HSETNX', h, 'asn', ARGV[10]) end
if ARGV[11] ~= '' then redis.call('HSETNX', h, 'asOrg', ARGV[11]) end
if ARGV[12] ~= '' then redis.call('HSETNX', h, 'country', ARGV[12]) end
local nsig = tonumber(redis.call('HGET', h, 'nsig') or '0')
for i = 14, #ARGV, 2 do
  local f = 's:' .. ARGV[i]
  if redis.call('HEXISTS', h, f) == 1 then redis.call('HINCRBY', h, f, ARGV[i + 1])
  elseif nsig < tonumber(ARGV[7]) then redis.call('HSET', h, f, ARGV[i + 1]); nsig = nsig + 1
  else redis.call('HINCRBY', h, 'other', ARGV[i + 1]) end
end
redis.call('HSET', h, 'nsig', nsig)
-- The samples live in a string of their own (KEYS[2], same hash tag): a hash value over 64 bytes
-- would turn the hash from a listpack into a hash table, twice its memory.
local samples = cjson.decode(redis.call('GET', KEYS[2]) or '[]')
for _, s in ipairs(cjson.decode(ARGV[9])) do table.insert(samples, s) end
-- Replicas write in their own rhythm: kept in the order the hits happened, the newest kept.
table.sort(samples, function(a, b) return (tonumber(a.t) or 0) < (tonumber(b.t) or 0) end)
while #samples > tonumber(ARGV[8]) do table.remove(samples, 1) end
if #samples > 0 then redis.call('SET', KEYS[2], cjson.encode(samples), 'PX', ARGV[1]) end
redis.call('PEXPIRE', h, ARGV[1])
return 1
`;

const INDEX = `
local z = KEYS[1]
if #ARGV > 2 then redis.call('ZADD', z, 'GT', unpack(ARGV, 3)) end
local gone = redis.call('ZRANGEBYSCORE', z, '-inf', '(' .. ARGV[2])
if #gone > 0 then redis.call('ZREMRANGEBYSCORE', z, '-inf', '(' .. ARGV[2]) end
local n = redis.call('ZCARD', z) - tonumber(ARGV[1])
if n > 0 then
  for _, ip in ipairs(redis.call('ZRANGE', z, 0, n - 1)) do table.insert(gone, ip) end
  redis.call('ZREMRANGEBYRANK', z, 0, n - 1)
end
return gone
`;

/** The client with the scripts as commands (ioredis sends EVALSHA, and EVAL once if the server lost it). */
export interface ScriptedRedis extends Redis {
  wwRecord(key: string, samplesKey: string, ...args: Array<string | number>): Promise<number>;
  wwIndex(key: string, ...args: Array<string | number>): Promise<string[]>;
}

export function withOffenderScripts(redis: Redis): ScriptedRedis {
  const r = redis as ScriptedRedis;
  if (typeof r.wwRecord !== 'function') {
    redis.defineCommand('wwRecord', { numberOfKeys: 2, lua: RECORD });
    redis.defineCommand('wwIndex', { numberOfKeys: 1, lua: INDEX });
  }
  return r;
}
