/**
 * The machine-readable part of an abuse-desk report: X-ARF, the x-arf.org plain format
 * (`X-ARF: YES`, a YAML `report.txt`, the evidence as a third part). Chosen over XARF v4 because
 * it is what abuse desks already parse: fail2ban's xarf action, blocklist.de and AbuseIO emit and
 * read it, while XARF v4 (xarf/xarf-spec) still calls itself an alpha.
 * Pure: the caller hands `attachments` to nodemailer and puts `headers` on the message.
 */
import { isIP } from 'node:net';

export const XARF_SCHEMA_URL = 'http://www.x-arf.org/schema/abuse_malware-attack_0.1.4.json';
/** Evidence lines per report, and characters of request per line (keeps lines under SMTP's 998). */
export const MAX_EVIDENCE_LINES = 100;
export const MAX_REQUEST_CHARS = 800;

/** What wormwatch saw: a worm or exploit attempt, a web attack, or a scanner. */
export type AttackCategory = 'worm' | 'web-attack' | 'scanner';

export interface EvidenceLine {
  /** When the request arrived (ms since the epoch). */
  at: number;
  /** The request line as received (`GET /default.ida?NNNN HTTP/1.0`); escaped here. */
  requestLine: string;
  status?: number | null;
  bytes?: number | null;
}

export interface XarfInput {
  reporter: { org: string; email: string; domain: string };
  sourceIp: string;
  firstSeen: number;
  lastSeen: number;
  category: AttackCategory;
  signatures: readonly { id: string; title: string }[];
  hits: number;
  samples: readonly EvidenceLine[];
  /** Unique per report (e.g. the notice id); becomes `<id>@<reporter.domain>`. */
  reportId: string;
  /** `wormwatch 0.1.0` */
  userAgent: string;
  /** Traffic Light Protocol marking; default green (share with those who can act on it). */
  tlp?: 'white' | 'green' | 'amber' | 'red';
}

/**
 * One part, in the shape of a nodemailer attachment. nodemailer sends `raw` as is: left to itself
 * it re-encodes any text line over 76 characters as quoted-printable, and X-ARF parsers read
 * these parts as plain 7-bit text (as fail2ban and genxarf send them). The other fields describe
 * the same part for display (`notices show`) and tests.
 */
export interface XarfAttachment {
  filename: string;
  content: string;
  contentType: string;
  contentTransferEncoding: '7bit';
  contentDisposition: 'inline';
  raw: string;
}

export interface XarfParts {
  /** Message headers X-ARF parsers look for (multipart/mixed follows from the attachments). */
  headers: Record<string, string>;
  /** The subject x-arf.org recommends: `abuse report about <source> - <date>`. */
  subject: string;
  /** The report fields, in the order written to report.txt. */
  report: Record<string, string | number>;
  /** [report.txt, logfile.log]: parts 2 and 3 (part 1 is the message's plain text). */
  attachments: [XarfAttachment, XarfAttachment];
}

/**
 * X-ARF has no web-attack or scanner schema: its published schemata are login-attack,
 * malware-attack, fraud and info-dnsbl. What wormwatch detects is automated (worms, exploit kits,
 * scanning bots), which is malware-attack; the finer category stays in the human part.
 */
const REPORT_TYPE: Record<AttackCategory, 'malware-attack'> = { worm: 'malware-attack', 'web-attack': 'malware-attack', scanner: 'malware-attack' };

export class XarfInputError extends Error {
  override name = 'XarfInputError';
}

export function renderXarf(input: XarfInput): XarfParts {
  const family = isIP(input.sourceIp);
  if (family === 0) throw new XarfInputError(`X-ARF source is not an IP address: ${JSON.stringify(input.sourceIp.slice(0, 60))}`);
  const domain = input.reporter.domain.toLowerCase();
  if (!/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(domain)) throw new XarfInputError(`X-ARF reporter domain is not a host name: ${JSON.stringify(input.reporter.domain.slice(0, 60))}`);
  if (!/^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[A-Za-z0-9.-]{1,253}$/.test(input.reporter.email)) throw new XarfInputError(`X-ARF reporter email is not a plain mailbox: ${JSON.stringify(input.reporter.email.slice(0, 60))}`);
  const id = input.reportId.replace(/[^A-Za-z0-9._-]/g, '').slice(0, 64) || 'report';
  const report: Record<string, string | number> = {
    'Reported-From': input.reporter.email,
    Category: 'abuse',
    'Report-Type': REPORT_TYPE[input.category],
    'Report-ID': `${id}@${domain}`,
    'User-Agent': ascii(input.userAgent, 100),
    Date: isoSeconds(input.firstSeen),
    Source: input.sourceIp,
    'Source-Type': family === 4 ? 'ipv4' : 'ipv6',
    'Destination-System': 'real-world',
    Attachment: 'text/plain',
    'Schema-URL': XARF_SCHEMA_URL,
    Version: 0.2,
    Occurrences: Math.max(1, Math.floor(Number.isFinite(input.hits) ? input.hits : 1)),
    TLP: input.tlp ?? 'green',
  };
  const evidence = input.samples.slice(0, MAX_EVIDENCE_LINES).map((s) => clfLine(input.sourceIp, s));
  return {
    headers: { 'X-ARF': 'YES', 'X-XARF': 'PLAIN', 'Auto-Submitted': 'auto-generated' },
    subject: `abuse report about ${input.sourceIp} - ${isoSeconds(input.lastSeen)}`,
    report,
    attachments: [textPart('report.txt', yamlReport(report)), textPart('logfile.log', `${evidence.join('\n')}\n`)],
  };
}

/** One 7bit text/plain part, inline, sent as written (the X-ARF parts, a digest's evidence.log). */
export function textPart(filename: string, content: string): XarfAttachment {
  const contentType = 'text/plain; charset=utf-8';
  const raw = [`Content-Type: ${contentType}; name="${filename}"`, 'Content-Transfer-Encoding: 7bit', `Content-Disposition: inline; filename="${filename}"`, '', content.replace(/\n/g, '\r\n')].join('\r\n');
  return { filename, content, contentType, contentTransferEncoding: '7bit', contentDisposition: 'inline', raw };
}

/**
 * YAML with every string double-quoted (a JSON string is a YAML double-quoted scalar): YAML 1.1
 * parsers such as PyYAML would otherwise read an unquoted date as a timestamp or `0.2`-like text
 * as a number, and fail the schema's `"type": "string"`.
 */
export function yamlReport(report: Record<string, string | number>): string {
  const lines = Object.entries(report).map(([k, v]) => `${k}: ${typeof v === 'number' ? String(v) : JSON.stringify(ascii(v, 500))}`);
  return `---\n${lines.join('\n')}\n`;
}

/** Common Log Format: `host ident authuser [date] "request" status bytes`, request escaped like Apache's. */
export function clfLine(ip: string, s: EvidenceLine): string {
  const status = Number.isInteger(s.status) && s.status! >= 100 && s.status! <= 999 ? String(s.status) : '-';
  const bytes = Number.isInteger(s.bytes) && s.bytes! >= 0 ? String(s.bytes) : '-';
  return `${ip} - - [${clfDate(s.at)}] "${escapeRequest(s.requestLine)}" ${status} ${bytes}`;
}

/** `"` and `\` backslash-escaped, every byte outside printable ASCII as `\xhh` (mod_log_config). */
export function escapeRequest(line: string): string {
  let out = '';
  for (const byte of Buffer.from(line, 'utf8')) {
    if (byte === 0x22 || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`;
    else if (byte < 0x20 || byte > 0x7e) out += `\\x${byte.toString(16).padStart(2, '0')}`;
    else out += String.fromCharCode(byte);
    if (out.length > MAX_REQUEST_CHARS) return `${out.slice(0, MAX_REQUEST_CHARS - 3)}...`;
  }
  return out;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `[10/Oct/2000:13:55:36 +0000]`, always UTC. */
export function clfDate(ms: number): string {
  const d = new Date(Number.isFinite(ms) ? ms : 0);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

function isoSeconds(ms: number): string {
  return new Date(Number.isFinite(ms) ? ms : 0).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Printable ASCII only (7bit parts), bounded. */
function ascii(s: string, max: number): string {
  return s.replace(/[^\x20-\x7e]+/g, ' ').trim().slice(0, max);
}
