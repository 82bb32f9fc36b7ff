import dgram from 'node:dgram';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Options } from '../config/options.js';
import { messageOf } from '../notify/message.js';
import { Outbox } from '../notify/outbox.js';
import type { NoticeRow } from '../notify/types.js';

/**
 * The demo's notices, and the loopback servers that let it make them without leaving the
 * machine: an RDAP server that answers for the documentation networks the demo's worms come
 * from (an abuse mailbox at a reserved `.example` domain each), and a DNS server that knows no
 * reverse names (every PTR query is NXDOMAIN, so the host tier mails the address literals).
 */

/** The demo's networks (RFC 5737 documentation space) and their made-up abuse desks. */
export const DEMO_NETWORKS: ReadonlyArray<{ prefix: string; start: string; end: string; handle: string; abuse: string }> = [
  { prefix: '198.51.100.', start: '198.51.100.0', end: '198.51.100.255', handle: 'DEMO-NET-1', abuse: 'abuse@isp-one.example' },
  { prefix: '203.0.113.', start: '203.0.113.0', end: '203.0.113.255', handle: 'DEMO-NET-2', abuse: 'abuse@isp-two.example' },
];
/** Documentation addresses never get notices; the demo lets its own ones through (--notice-allow-private). */
export const DEMO_NOTICE_RANGES = '198.51.100.0/24,203.0.113.0/24';

export interface Closeable {
  url: string;
  close(): Promise<void>;
}

/** RFC 9083 answers: an `ip network` with a top-level abuse entity (the RIPE NCC shape), or 404. */
export async function startDemoRdap(): Promise<Closeable> {
  const server = http.createServer((req, res) => {
    const ip = decodeURIComponent(/^\/ip\/([^/?]+)/.exec(req.url ?? '')?.[1] ?? '');
    const net = DEMO_NETWORKS.find((n) => ip.startsWith(n.prefix));
    res.setHeader('content-type', 'application/rdap+json');
    if (!net) return void res.writeHead(404).end(JSON.stringify({ errorCode: 404, title: 'Not Found' }));
    res.end(JSON.stringify({
      objectClassName: 'ip network', handle: net.handle, name: net.handle, startAddress: net.start, endAddress: net.end, ipVersion: 'v4',
      entities: [{ objectClassName: 'entity', roles: ['abuse'], vcardArray: ['vcard', [['version', {}, 'text', '4.0'], ['fn', {}, 'text', 'Abuse desk'], ['email', {}, 'text', net.abuse]]] }],
    }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** A DNS server on 127.0.0.1 that answers every query NXDOMAIN (the question echoed, RFC 1035 §4.1). */
export async function startDemoDns(): Promise<Closeable> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (query, from) => {
    if (query.length < 12 || query.length > 512) return; // not a DNS query we answer
    const reply = Buffer.from(query);
    // QR=1, opcode and RD kept, RA=1, RCODE=3 (NXDOMAIN); no answers, authority or additional records.
    reply[2] = 0x80 | (query[2]! & 0x79);
    reply[3] = 0x83;
    reply.writeUInt16BE(0, 6);
    reply.writeUInt16BE(0, 8);
    reply.writeUInt16BE(0, 10);
    socket.send(reply.subarray(0, questionEnd(reply)), from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { url: `127.0.0.1:${socket.address().port}`, close: () => new Promise((resolve) => socket.close(() => resolve())) };
}

/** Where the first question ends (its name's labels, then type and class); the whole packet if malformed. */
function questionEnd(p: Buffer): number {
  let i = 12;
  while (i < p.length && p[i] !== 0) i += p[i]! + 1;
  return Math.min(p.length, i + 5);
}

/** Waits until every notice in the outbox is ready to send (host lookups done, digests closed), or `ms` passed. */
export async function noticesReady(dataDir: string, digests: number, ms: number): Promise<void> {
  const box = new Outbox(dataDir);
  try {
    for (const until = Date.now() + ms; Date.now() < until; await new Promise((r) => setTimeout(r, 50))) {
      const rows = box.list({ limit: 100 });
      const closed = rows.filter((r) => r.kind === 'abuse' && r.host_status === 'closed').length;
      if (closed >= digests && rows.every((r) => r.kind !== 'offender' || r.state === 'suppressed' || r.host_status !== null)) return;
    }
  } finally {
    box.close();
  }
}

/** The section of the demo's report: who would be written to in each tier, the subjects, and one text of each. */
export function noticesSection(dataDir: string, options: Options): string[] {
  const box = new Outbox(dataDir);
  try {
    const order = (r: NoticeRow) => (r.kind === 'abuse' ? 1 : 0);
    const rows = box.list({ limit: 100 }).filter((r) => r.state !== 'suppressed' && (r.kind !== 'abuse' || r.host_status === 'closed'))
      .sort((a, b) => order(a) - order(b) || a.id - b.id);
    const lines = [
      `Notices it would send (--notify outbox in ${dataDir}, removed when the demo ends: mailed to no one;`,
      `RDAP and DNS answered by loopback servers; one digest per abuse mailbox every ${options.abuseDigestInterval / 1000} s here, 24h by default):`,
    ];
    for (const row of rows) {
      const m = messageOf(row, box, options);
      lines.push(`  ${tierOf(row)}  To: ${m.to.join(', ')}`, `        Subject: ${m.subject}`);
    }
    for (const kind of ['offender', 'abuse'] as const) {
      const first = rows.find((r) => r.kind === kind);
      if (!first) continue;
      const m = messageOf(first, box, options);
      lines.push('', `The text of the first ${tierOf(first).trim()} notice (${m.attachments?.length ? `plus ${m.attachments.map((a) => a.filename).join(', ')}` : 'plain text only'}):`);
      lines.push(...m.text.replace(/\n$/, '').split('\n').map((l) => (l ? `  | ${l}` : '  |')));
    }
    return lines;
  } finally {
    box.close();
  }
}

function tierOf(row: NoticeRow): string {
  return row.kind === 'abuse' ? 'abuse' : row.kind === 'operator' ? 'operator' : 'host ';
}
