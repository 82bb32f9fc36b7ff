import type { NoticeRow, RenderedMessage, SignatureSnapshot } from './types.js';
import { headerSafe, indent, sanitiseSample, utc, wrap } from './render.js';
import { parseSamples } from './row.js';
import { OPERATOR_MAILS_PER_DAY } from './operator.js';

/** The parts of the options an operator mail depends on. */
export interface OperatorRenderSettings {
  from: string;
  version: string;
  /** This wormwatch refuses a path once it served a secret (`--mode block --block-exposures`). */
  blocking: boolean;
}

/** Longest path shown in the subject (the body shows it whole, up to the detection's 200). */
const SUBJECT_PATH_MAX = 120;

/**
 * The mail to the operator about an exposure, rendered from its stored facts (when it is sent,
 * and for `notices show`). Path, address and request lines came from the request, chosen by an
 * attacker: each goes through the one sanitiser again (printable ASCII only) and every header
 * value through `headerSafe`, so nothing stored can add a header or a terminal escape.
 */
export function renderOperatorMail(row: NoticeRow, text: SignatureSnapshot, s: OperatorRenderSettings): RenderedMessage {
  const path = sanitiseSample(row.path ?? '(unknown path)');
  const ip = sanitiseSample(row.ip);
  return {
    from: headerSafe(s.from),
    to: row.recipient === null ? [] : [headerSafe(row.recipient, 320)],
    cc: [],
    bcc: [],
    subject: headerSafe(`wormwatch: ${path.slice(0, SUBJECT_PATH_MAX)} was served to ${ip} (${row.signature})`, 250),
    text: operatorBody(row, text, path, ip, s),
    messageId: headerSafe(row.message_id ?? `<notice-${row.id}@wormwatch.invalid>`),
    date: headerSafe(new Date(row.created_at).toUTCString()),
    headers: {
      'Auto-Submitted': 'auto-generated',
      'X-Wormwatch-Signature': headerSafe(row.signature, 100),
      'X-Wormwatch-Kind': 'operator',
    },
  };
}

function operatorBody(row: NoticeRow, text: SignatureSnapshot, path: string, ip: string, s: OperatorRenderSettings): string {
  const lift = `DELETE /exposures?path=${encodeURIComponent(path).replace(/%2F/gi, '/')}`;
  const seen = row.last_seen > row.first_seen ? `${utc(row.first_seen)} (last ${utc(row.last_seen)})` : utc(row.first_seen);
  const lines = [
    ...wrap(`Your web server served ${path} to a request that was hunting for it. What it holds is no longer secret.`, 72),
    '',
    'WHAT WAS SERVED',
    `  Path:       ${path}`,
    `  Status:     ${row.status ?? '?'}`,
    `  Time:       ${seen}`,
    `  Source:     ${ip}${row.hits > 1 ? ' (the first to fetch it that day)' : ''}`,
    `  Requests:   ${row.hits} before this mail went`,
    '  Request lines (sanitised):',
    ...parseSamples(row.samples).map((l) => `    ${sanitiseSample(l)}`),
    `  Signature:  ${text.title} (${text.id})`,
    ...indent(text.description).map((l) => (l ? `  ${l}` : l)),
    '',
    'WHAT TO DO NOW',
    ...bullet(`Treat the content of ${path} as leaked: rotate every password, key and token it holds, now.`),
    ...bullet(`Remove the file from the web root, or make the web server refuse ${path}.`),
    ...bullet(`Check the access logs for other addresses that fetched ${path}: each of them has the secrets too. ` +
      'GET /exposures on the wormwatch admin port lists those it saw since it started.'),
    '',
    'HOW TO BLOCK IT',
    ...indent(s.blocking
      ? `This wormwatch runs with --mode block --block-exposures: later requests for ${path} are refused already. Once the file is gone, lift the block with ${lift} on the admin port.`
      : `Run wormwatch with --mode block --block-exposures: a path that served a secret is then refused (--block-status) to everyone, until you lift it with ${lift} on the admin port.`),
    '',
    'ABOUT THIS MAIL',
    ...indent(`Sent by wormwatch ${s.version} to --operator-email, once per path per UTC day and at most ${OPERATOR_MAILS_PER_DAY} a day; ` +
      'later exposures are in the error log and GET /exposures. It is not counted against the notice caps for offenders.'),
  ];
  return `${lines.join('\n')}\n`;
}

function bullet(text: string): string[] {
  return wrap(text, 68).map((l, i) => (i === 0 ? `  - ${l}` : `    ${l}`));
}
