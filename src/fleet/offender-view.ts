import { canonicalIp } from '../address.js';
import { decodeSegment, parseLimit, sendError, sendJson, type AdminRoute } from '../admin/route.js';
import { sanitiseLine } from '../detect/sanitise.js';
import { BadRequestError, NotFoundError } from '../errors.js';
import type { Offender } from '../offenders/store.js';
import { OFFENDERS_DEFAULT_LIMIT, OFFENDERS_MAX_LIMIT } from '../offenders/routes.js';
import type { FleetSample } from './offender-sync.js';
import type { RedisLink } from './redis-link.js';

/** An offender as the whole fleet saw it: the local shape plus hits per replica and which replica saw each sample. */
export interface FleetOffender extends Omit<Offender, 'samples'> {
  samples: string[];
  /** Hits per replica name (`~other` past REPLICAS_MAX replicas). */
  replicas: Record<string, number>;
  lastReplica: string | null;
  /** The sampled hits, oldest first: when, on which replica, the request line. */
  recent: Array<{ at: Date; replica: string; line: string }>;
}

/** What the local store offers when Redis cannot answer (and the hostnames only this replica looked up). */
export interface LocalOffenders {
  get(ip: string): Offender | undefined;
  list(limit: number): Offender[];
  readonly size: number;
}

const num = (v: string | undefined): number => (v !== undefined && /^\d{1,16}$/.test(v) ? Number(v) : 0);
const text = (v: string | undefined, max: number): string | null => (v === undefined ? null : sanitiseLine(v, max));

/** The offender in an address's Redis hash, every field checked (anyone with access to Redis could have written it). Pure. */
export function offenderOfHash(ip: string, h: Record<string, string>, hostname: string | null = null): FleetOffender | null {
  if (h.hits === undefined) return null;
  const signatures: Record<string, number> = {};
  const replicas: Record<string, number> = {};
  for (const [field, value] of Object.entries(h)) {
    if (field.startsWith('s:')) signatures[sanitiseLine(field.slice(2), 128)] = num(value);
    else if (field.startsWith('r:')) replicas[sanitiseLine(field.slice(2), 63)] = num(value);
  }
  const recent = samplesOf(h.samples);
  return {
    ip, hostname,
    firstSeen: new Date(num(h.first)), lastSeen: new Date(num(h.last)),
    hits: num(h.hits), signatures, otherHits: num(h.other),
    family: text(h.family, 64) ?? '',
    samples: recent.map((s) => s.line),
    asn: h.asn === undefined ? null : num(h.asn), asOrg: text(h.asOrg, 200), country: text(h.country, 8),
    replicas, lastReplica: text(h.lastReplica, 63),
    recent: recent.map((s) => ({ at: new Date(s.at), replica: s.replica, line: s.line })),
  };
}

function samplesOf(raw: string | undefined): Array<{ replica: string; at: number; line: string }> {
  let parsed: unknown;
  try {
    parsed = raw === undefined ? [] : JSON.parse(raw);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  return parsed.slice(-100).flatMap((s: unknown) => {
    const o = s as Partial<FleetSample> | null;
    return typeof o?.l === 'string' && typeof o.r === 'string' && Number.isSafeInteger(o.t)
      ? [{ replica: sanitiseLine(o.r, 63), at: o.t!, line: sanitiseLine(o.l, 200) }] : [];
  });
}

function withSamples(h: Record<string, string>, samples: unknown): Record<string, string> {
  return typeof samples === 'string' ? { ...h, samples } : h;
}

/** Reads of the fleet's offenders: the newest first from the sorted set, each from its hash, in one round trip. */
export class FleetOffenderReader {
  constructor(private readonly link: RedisLink, private readonly local: LocalOffenders) {}

  async list(limit: number): Promise<{ total: number; offenders: FleetOffender[] }> {
    const index = this.link.key('offenders');
    const [total, ips] = await Promise.all([this.link.redis.zcard(index), this.link.redis.zrevrange(index, 0, limit - 1)]);
    const pipe = this.link.redis.pipeline();
    for (const ip of ips) pipe.hgetall(this.link.key(`o:{${ip}}`)).get(this.link.key(`o:{${ip}}:s`));
    const replies = (await pipe.exec()) ?? [];
    const offenders = ips.flatMap((ip, i) => {
      const h = (replies[2 * i]?.[1] ?? {}) as Record<string, string>;
      const o = offenderOfHash(ip, withSamples(h, replies[2 * i + 1]?.[1]), this.local.get(ip)?.hostname ?? null);
      return o === null ? [] : [o];
    });
    return { total, offenders };
  }

  async get(ip: string): Promise<FleetOffender | null> {
    const [h, samples] = await Promise.all([this.link.redis.hgetall(this.link.key(`o:{${ip}}`)), this.link.redis.get(this.link.key(`o:{${ip}}:s`))]);
    return offenderOfHash(ip, withSamples(h, samples), this.local.get(ip)?.hostname ?? null);
  }
}

/**
 * `GET /offenders` and `/offenders/:ip` for the whole fleet (`fleet: true`), served in place of the
 * local ones. While Redis cannot answer they answer from this replica's own store (`fleet: false`).
 */
export function fleetOffenderRoutes(reader: FleetOffenderReader, local: LocalOffenders, link: RedisLink): AdminRoute[] {
  const fallback = (err: unknown): void => link.failed('read', err);
  return [
    {
      method: 'GET', path: '/offenders',
      async handle(_req, res, url) {
        const limit = parseLimit(url.searchParams.get('limit'), OFFENDERS_DEFAULT_LIMIT, OFFENDERS_MAX_LIMIT);
        if (limit === null) return sendError(res, new BadRequestError(`limit must be an integer from 1 to ${OFFENDERS_MAX_LIMIT}`));
        const fleet = link.up ? await reader.list(limit).catch((err: unknown) => void fallback(err)) : undefined;
        if (fleet) return sendJson(res, 200, { fleet: true, total: fleet.total, count: fleet.offenders.length, offenders: fleet.offenders });
        const list = local.list(limit);
        sendJson(res, 200, { fleet: false, total: local.size, count: list.length, offenders: list });
      },
    },
    {
      method: 'GET', path: '/offenders/',
      async handle(_req, res, url) {
        const ip = canonicalIp(decodeSegment(url.pathname.slice('/offenders/'.length)));
        if (ip === null) return sendError(res, new BadRequestError('not an IP address'));
        const fleet = link.up ? await reader.get(ip).catch((err: unknown) => void fallback(err)) : undefined;
        const found = fleet ?? local.get(ip);
        if (!found) return sendError(res, new NotFoundError(`no offender ${ip}`));
        sendJson(res, 200, { fleet: fleet !== undefined && fleet !== null, ...found });
      },
    },
  ];
}
