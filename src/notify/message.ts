import type { Options } from '../config/options.js';
import { VERSION } from '../version.js';
import { DIGEST_MAX_HOSTS } from './abuse.js';
import type { AbuseStore } from './abuse-store.js';
import { renderDigest, type DigestSettings } from './digest-render.js';
import { renderOperatorMail } from './operator-render.js';
import { renderNotice, type RenderSettings } from './render.js';
import { parseSamples } from './row.js';
import type { NoticeFacts, NoticeRow, RenderedMessage, SignatureSnapshot } from './types.js';

/** The settings a stored notice's message depends on, of any kind. */
export type MessageOptions = Pick<Options,
  'noticeFrom' | 'noticeReplyTo' | 'noticeCc' | 'noticeBcc' | 'noticeFooter' | 'noticeInterval' | 'noticeRecipients' | 'mode' | 'blockExposures'
  | 'noticeTiers' | 'abuseDigestInterval' | 'abuseAfter'>;

/** What a message is rendered from: the signature texts, and a digest's hosts. */
export interface MessageSource {
  text(id: number | null, signature: string): SignatureSnapshot;
  abuse: Pick<AbuseStore, 'entriesOf'>;
}

export function renderSettings(options: Pick<Options, 'noticeFrom' | 'noticeReplyTo' | 'noticeCc' | 'noticeBcc' | 'noticeFooter' | 'noticeInterval'>): RenderSettings {
  return { from: options.noticeFrom, replyTo: options.noticeReplyTo, cc: options.noticeCc, bcc: options.noticeBcc, footer: options.noticeFooter, intervalMs: options.noticeInterval, version: VERSION };
}

export function digestSettings(options: MessageOptions): DigestSettings {
  return { ...renderSettings(options), intervalMs: options.abuseDigestInterval, afterMs: options.abuseAfter, hostTier: options.noticeTiers.includes('host') };
}

/** The message of a stored row, as it is sent and as `notices show` prints it: an offender notice, an operator mail or an abuse digest. */
export function messageOf(row: NoticeRow, source: MessageSource, options: MessageOptions): RenderedMessage {
  if (row.kind === 'abuse') return renderDigest(row, source.abuse.entriesOf(row.id, DIGEST_MAX_HOSTS), digestSettings(options));
  const text = source.text(row.text_id, row.signature);
  if (row.kind === 'operator') {
    return renderOperatorMail(row, text, { from: options.noticeFrom, version: VERSION, blocking: options.mode === 'block' && options.blockExposures });
  }
  return renderNotice(row, text, options.noticeRecipients, renderSettings(options));
}

/** An offender row's facts (its signature's text from the outbox), as the fleet's stream carries them. */
export function factsOfRow(row: NoticeRow, source: Pick<MessageSource, 'text'>): NoticeFacts {
  return { ip: row.ip, signature: source.text(row.text_id, row.signature), firstSeen: row.first_seen, lastSeen: row.last_seen, hits: row.hits, samples: parseSamples(row.samples) };
}
