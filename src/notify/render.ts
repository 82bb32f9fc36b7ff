import type { HostLookup, NetworkFacts, NoticeFacts, NoticeRow, RenderedMessage, SignatureSnapshot } from './types.js';
import { MAX_SAMPLES } from './types.js';
import { buildRecipients, type RecipientPlan } from './recipients.js';
import { hostOf, parseSamples } from './row.js';
import { sanitiseLine } from '../detect/sanitise.js';
import { addSample } from './handoff.js';
import { formatGeoInfo } from '../geoip/records.js';

/** The parts of the options a message depends on. */
export interface RenderSettings {
  from: string;
  replyTo: string | undefined;
  cc: readonly string[];
  bcc: readonly string[];
  footer: string | undefined;
  intervalMs: number;
  version: string;
}

export interface RenderInput {
  facts: NoticeFacts;
  /** null while the reverse lookup has not run yet. */
  host: HostLookup | null;
  recipients: RecipientPlan;
  messageId: string;
  /** RFC 2822 date of the first rendering; kept across re-renders so retries are identical. */
  date: string;
}

const SAMPLE_MAX = 200;
const NO_NETWORK = { asn: null, asOrg: null, country: null };

/**
 * Any text that goes into a header: control characters (CR, LF, NUL, ...) and Unicode line
 * separators become one space, so no input can start a new header line.
 */
export function headerSafe(s: string, max = 200): string {
  return s.replace(/[\x00-\x1f\x7f\u0085\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, max);
}

/** A request line for the body: printable ASCII kept, everything else escaped (detect/'s one sanitiser), length bounded. */
export function sanitiseSample(line: string): string {
  return sanitiseLine(line, SAMPLE_MAX);
}

/** Merges one more hit into the facts (pure; returns a new object). */
export function mergeHit<F extends NoticeFacts>(f: F, at: number, requestLine: string): F {
  const out: F = { ...f, hits: f.hits + 1, firstSeen: Math.min(f.firstSeen, at), lastSeen: Math.max(f.lastSeen, at) };
  addSample(out, at, requestLine);
  return out;
}

/** `45.33.32.156 (AS63949, Akamai Connected Cloud, US)`: the address and what is known of its network. */
export function machineOf(ip: string, network: NetworkFacts, hostname: string | null = null): string {
  const geo = formatGeoInfo(network).slice(1, -1);
  const about = [hostname, geo ? headerSafe(geo, 200) : null].filter((x): x is string => x !== null && x !== '');
  return about.length > 0 ? `${ip} (${about.join('; ')})` : ip;
}

export function subjectOf(facts: NoticeFacts, hostname: string | null): string {
  const who = hostname ? `${facts.ip} (${hostname})` : facts.ip;
  return headerSafe(`[wormwatch] ${facts.signature.title} from ${who}`, 250);
}

export function utc(ms: number): string {
  return `${new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '')} UTC`;
}

/**
 * The message of a stored notice, rendered from its facts (when it is sent, and for
 * `notices show`): the outbox keeps facts, never bodies. The Message-ID and Date are the row's
 * own, so every retry of one notice is the same message.
 */
export function renderNotice(row: NoticeRow, text: SignatureSnapshot, templates: readonly string[], s: RenderSettings): RenderedMessage {
  const facts: NoticeFacts = {
    ip: row.ip, signature: text, firstSeen: row.first_seen, lastSeen: row.last_seen, hits: row.hits, samples: parseSamples(row.samples),
    network: { asn: row.asn ?? null, asOrg: row.as_org ?? null, country: row.country ?? null },
  };
  const host = hostOf(row);
  const recipients = buildRecipients(templates, row.ip, host === null ? null : host.hostname);
  const messageId = row.message_id ?? `<notice-${row.id}@wormwatch.invalid>`;
  return renderMessage({ facts, host, recipients, messageId, date: new Date(row.created_at).toUTCString() }, s);
}

export function renderMessage(input: RenderInput, s: RenderSettings): RenderedMessage {
  const { facts } = input;
  const hostname = input.host?.hostname ?? null;
  const msg: RenderedMessage = {
    from: headerSafe(s.from),
    to: input.recipients.to.map((a) => headerSafe(a, 320)),
    cc: s.cc.map((a) => headerSafe(a, 320)),
    bcc: s.bcc.map((a) => headerSafe(a, 320)),
    subject: subjectOf(facts, hostname),
    text: renderBody(input, s),
    messageId: headerSafe(input.messageId),
    date: headerSafe(input.date),
    headers: {
      'Auto-Submitted': 'auto-generated',
      'X-Wormwatch-Signature': headerSafe(facts.signature.id, 100),
    },
  };
  if (s.replyTo) msg.replyTo = headerSafe(s.replyTo);
  return msg;
}

function renderBody(input: RenderInput, s: RenderSettings): string {
  const { facts } = input;
  const who = machineOf(facts.ip, facts.network ?? NO_NETWORK, input.host?.hostname ?? null);
  const lines = [
    'Hello,',
    '',
    ...wrap(`this is an automatic notice about the machine at ${who}. It sent requests to a web server we run ` +
      'that match a known worm or attack tool. The machine is probably infected or misused, and is likely doing the same ' +
      'to many other servers.', 72),
    '',
    'WHAT WAS SEEN',
    `  Signature:  ${facts.signature.title} (${facts.signature.id})`,
    `  First seen: ${utc(facts.firstSeen)}`,
    `  Last seen:  ${utc(facts.lastSeen)}`,
    `  Requests:   ${facts.hits}`,
    '  Sample requests (sanitised):',
    ...facts.samples.slice(0, MAX_SAMPLES).map((l) => `    ${sanitiseSample(l)}`),
    '',
    'WHAT IT MEANS AND HOW TO FIX IT',
    ...indent(facts.signature.description),
  ];
  if (facts.signature.references.length > 0) {
    lines.push('', '  References:', ...facts.signature.references.map((r) => `    - ${sanitiseSample(r)}`));
  }
  lines.push('', 'WHO IS WRITING', ...indent(whoIsWriting(s)), '', 'RECIPIENTS', ...indent(recipientNote(input)));
  if (s.footer) lines.push('', '-- ', ...s.footer.split(/\r?\n/).map((l) => l.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '')));
  return `${lines.join('\n')}\n`;
}

function whoIsWriting(s: RenderSettings): string {
  const replies = s.replyTo ?? s.from;
  return `This message was generated by wormwatch ${s.version}, a monitor in front of a web server, on behalf of ` +
    `its operator (${headerSafe(s.from)}). Replies reach ${headerSafe(replies)}. No further notice about this ` +
    `address will be sent for ${humanDuration(s.intervalMs)}.`;
}

function recipientNote(input: RenderInput): string {
  const sentTo = `This notice is addressed to ${input.recipients.to.join(', ')}.`;
  if (input.recipients.dropped.length === 0) return sentTo;
  const why = input.host === null ? 'the reverse DNS lookup had not completed' : input.host.hostname === null ? input.host.reason : 'no host name';
  return `${sentTo} Host-name recipients (${input.recipients.dropped.join(', ')}) were left out: ${why}.`;
}

/** Catalogue text as body paragraphs: control characters dropped, wrapped at 72, indented by two. */
export function indent(text: string): string[] {
  const out: string[] = [];
  for (const para of text.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '').split(/\r?\n/)) out.push(...wrap(para, 72).map((l) => (l ? `  ${l}` : '')));
  return out;
}

export function wrap(text: string, width: number): string[] {
  const words = text.split(/ +/);
  const lines: string[] = [];
  let cur = '';
  for (const w of words) {
    if (cur && cur.length + 1 + w.length > width) {
      lines.push(cur);
      cur = w;
    } else cur = cur ? `${cur} ${w}` : w;
  }
  lines.push(cur);
  return lines;
}

export function humanDuration(ms: number): string {
  const units: [number, string][] = [[86_400_000, 'day'], [3_600_000, 'hour'], [60_000, 'minute'], [1000, 'second']];
  for (const [size, name] of units) {
    if (ms >= size && ms % size === 0) return `${ms / size} ${name}${ms / size === 1 ? '' : 's'}`;
  }
  return `${ms} ms`;
}
