import { decodeEntry } from './abuse-facts.js';
import type { EntryFacts, EntryRow } from './abuse-store.js';
import { headerSafe, humanDuration, indent, machineOf, sanitiseSample, utc, wrap, type RenderSettings } from './render.js';
import type { MessagePart, NoticeRow, RenderedMessage, SignatureRef } from './types.js';
import { clfLine, renderXarf, textPart, XarfInputError, type AttackCategory, type XarfParts } from './xarf.js';

/** The parts of the options a digest depends on: a notice's, with `intervalMs` the digest's. */
export interface DigestSettings extends RenderSettings {
  /** `--abuse-digest-interval`. */
  intervalMs: number;
  /** `--abuse-after`; 0: hosts are listed from their first probe. */
  afterMs: number;
  /** The host tier is on: each host's own administrators were written to first. */
  hostTier: boolean;
}

export interface DigestHost {
  ip: string;
  network: string | null;
  facts: EntryFacts;
}

/**
 * The mail of an abuse digest, rendered from its stored hosts (when it is sent, and for
 * `notices show`). Every notice keeps its plain-text part; after it comes a machine-readable one.
 * X-ARF 0.2 describes one source per report (one `Source` field, one report.txt per mail), so a
 * digest of one host is an X-ARF report (headers, report.txt, logfile.log) and a digest of many
 * is not: it carries the text and an `evidence.log` of every host's requests in Common Log
 * Format, and no `X-ARF` header, so no X-ARF parser mistakes it for a report about one address.
 */
export function renderDigest(row: NoticeRow, entries: readonly EntryRow[], s: DigestSettings): RenderedMessage {
  const hosts: DigestHost[] = entries.map((e) => ({ ip: e.ip, network: e.network, facts: decodeEntry(e) }));
  const mailbox = row.recipient ?? '';
  const xarf = hosts.length === 1 ? xarfOf(row, hosts[0]!, s) : null;
  const msg: RenderedMessage = {
    from: headerSafe(s.from),
    to: mailbox ? [headerSafe(mailbox, 320)] : [],
    cc: s.cc.map((a) => headerSafe(a, 320)),
    bcc: s.bcc.map((a) => headerSafe(a, 320)),
    subject: headerSafe(xarf?.subject ?? digestSubject(mailbox, hosts.length + (row.unlisted ?? 0), row), 250),
    text: digestBody(row, hosts, xarf !== null, s),
    messageId: headerSafe(row.message_id ?? `<notice-${row.id}@wormwatch.invalid>`),
    date: headerSafe(new Date(row.created_at).toUTCString()),
    headers: { 'Auto-Submitted': 'auto-generated', 'X-Wormwatch-Kind': 'abuse', ...(xarf?.headers ?? {}) },
    attachments: xarf ? [...xarf.attachments] : [evidencePart(hosts)],
  };
  if (s.replyTo) msg.replyTo = headerSafe(s.replyTo);
  return msg;
}

function digestSubject(mailbox: string, count: number, row: NoticeRow): string {
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const span = day(row.first_seen) === day(row.last_seen) ? day(row.first_seen) : `${day(row.first_seen)} to ${day(row.last_seen)}`;
  return `[wormwatch] abuse digest for ${mailbox}: ${count} ${count === 1 ? 'host' : 'hosts'} probing web servers, ${span}`;
}

/** The X-ARF parts of a one-host digest, or null when `--notice-from` is no plain mailbox at a real domain. */
function xarfOf(row: NoticeRow, host: DigestHost, s: DigestSettings): XarfParts | null {
  const email = /<([^<>\s]+@[^<>\s]+)>/.exec(s.from)?.[1] ?? s.from.trim();
  const domain = email.slice(email.lastIndexOf('@') + 1);
  const org = s.from.includes('<') ? s.from.slice(0, s.from.indexOf('<')).replace(/"/g, '').trim() : domain;
  try {
    return renderXarf({
      reporter: { org: org || domain, email, domain },
      sourceIp: host.ip,
      firstSeen: host.facts.firstSeen,
      lastSeen: host.facts.lastSeen,
      category: categoryOf(host.facts.signatures),
      signatures: host.facts.signatures,
      hits: host.facts.hits,
      samples: host.facts.samples.map(([at, requestLine]) => ({ at, requestLine })),
      reportId: `digest-${row.id}`,
      userAgent: `wormwatch ${s.version}`,
    });
  } catch (err) {
    if (err instanceof XarfInputError) return null;
    throw err;
  }
}

// Detection v3 families: iot-botnet (was mirai) spreads itself like the IIS worms did.
const WORMS = new Set(['codered', 'nimda', 'share-worm', 'iot-botnet', 'webdav-overflow']);
const SCANNERS = new Set(['hunt', 'scanner', 'storm']);

/** What the host did, for X-ARF: a worm if any signature is one, a scanner if all are hunts or storms. */
export function categoryOf(signatures: readonly SignatureRef[]): AttackCategory {
  if (signatures.some((s) => WORMS.has(s.family))) return 'worm';
  return signatures.length > 0 && signatures.every((s) => SCANNERS.has(s.family)) ? 'scanner' : 'web-attack';
}

/** Every listed host's sample requests in Common Log Format, one line each (7bit, under SMTP's line limit). */
function evidencePart(hosts: readonly DigestHost[]): MessagePart {
  const lines = hosts.flatMap((h) => h.facts.samples.map(([at, requestLine]) => clfLine(h.ip, { at, requestLine })));
  return textPart('evidence.log', `${lines.join('\n')}\n`);
}

function digestBody(row: NoticeRow, hosts: readonly DigestHost[], isXarf: boolean, s: DigestSettings): string {
  const count = hosts.length + (row.unlisted ?? 0);
  const lines = [
    'Hello,',
    '',
    ...wrap(`this is an automatic digest for ${row.recipient ?? ''}, the abuse contact that the regional Internet registry's RDAP service ` +
      `names for the networks below. ${machinesSeen(count, hosts.length)} sent requests to a web server we run ` +
      `that match known worms or attack tools, between ${utc(row.first_seen)} and ${utc(row.last_seen)}. They are probably infected or ` +
      'misused, and are likely doing the same to many other servers.', 72),
    '',
    `HOSTS (${hosts.length})`,
    ...hosts.flatMap(hostLines),
  ];
  if ((row.unlisted ?? 0) > 0) lines.push('', ...indent(`${row.unlisted} more hosts behind this address were seen after this digest held ${hosts.length}; they are not listed.`));
  lines.push('', 'EVIDENCE', ...indent(isXarf
    ? 'This message is an X-ARF 0.2 report (x-arf.org) for automatic processing: report.txt holds the report, logfile.log the requests in Common Log Format.'
    : 'The attached evidence.log holds the sample requests above in Common Log Format, one line each, the source address first.'));
  lines.push('', 'WHO IS WRITING', ...indent(whoIsWriting(s)));
  if (s.footer) lines.push('', '-- ', ...s.footer.split(/\r?\n/).map((l) => l.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '')));
  return `${lines.join('\n')}\n`;
}

function machinesSeen(count: number, listed: number): string {
  if (count === 1) return 'The machine listed';
  return count === listed ? `The ${count} machines listed` : `The ${count} machines seen (${listed} listed below)`;
}

function hostLines(h: DigestHost): string[] {
  const f = h.facts;
  return [
    '',
    `  ${machineOf(sanitiseSample(h.ip), f.network)}`,
    ...(h.network ? [`    Network:    ${sanitiseSample(h.network)}`] : []),
    `    First seen: ${utc(f.firstSeen)}`,
    `    Last seen:  ${utc(f.lastSeen)}`,
    `    Requests:   ${f.hits}`,
    `    Signatures: ${f.signatures.map((x) => `${sanitiseSample(x.title)} (${sanitiseSample(x.id)})`).join('; ')}`,
    '    Sample requests (sanitised):',
    ...f.samples.map(([, line]) => `      ${sanitiseSample(line)}`),
  ];
}

function whoIsWriting(s: DigestSettings): string {
  const replies = s.replyTo ?? s.from;
  const first = s.hostTier
    ? ` Each host's own administrators were written to first${s.afterMs > 0 ? `, and a host is listed here only if it kept probing ${humanDuration(s.afterMs)} after that` : ''}.`
    : '';
  return `This digest was generated by wormwatch ${s.version}, a monitor in front of a web server, on behalf of its operator ` +
    `(${headerSafe(s.from)}). Replies reach ${headerSafe(replies)}. At most one digest goes to this address per ${humanDuration(s.intervalMs)}.${first} ` +
    'It reveals nothing of our site or its visitors: only the requests these hosts sent us.';
}
