import type { Options } from '../config/options.js';
import { VERSION } from '../version.js';
import { renderOperatorMail } from './operator-render.js';
import { renderNotice, type RenderSettings } from './render.js';
import type { NoticeRow, RenderedMessage, SignatureSnapshot } from './types.js';

/** The settings a stored notice's message depends on, of either kind. */
export type MessageOptions = Pick<Options,
  'noticeFrom' | 'noticeReplyTo' | 'noticeCc' | 'noticeBcc' | 'noticeFooter' | 'noticeInterval' | 'noticeRecipients' | 'mode' | 'blockExposures'>;

export function renderSettings(options: Pick<Options, 'noticeFrom' | 'noticeReplyTo' | 'noticeCc' | 'noticeBcc' | 'noticeFooter' | 'noticeInterval'>): RenderSettings {
  return { from: options.noticeFrom, replyTo: options.noticeReplyTo, cc: options.noticeCc, bcc: options.noticeBcc, footer: options.noticeFooter, intervalMs: options.noticeInterval, version: VERSION };
}

/** The message of a stored row, as it is sent and as `notices show` prints it: an offender notice or an operator mail. */
export function messageOf(row: NoticeRow, text: SignatureSnapshot, options: MessageOptions): RenderedMessage {
  if (row.kind === 'operator') {
    return renderOperatorMail(row, text, { from: options.noticeFrom, version: VERSION, blocking: options.mode === 'block' && options.blockExposures });
  }
  return renderNotice(row, text, options.noticeRecipients, renderSettings(options));
}
