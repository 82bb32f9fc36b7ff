import MailComposer from 'nodemailer/lib/mail-composer';
import type { RenderedMessage } from './types.js';

/**
 * The message exactly as nodemailer composes it for sending (RFC 5322 text). Bcc is in the
 * envelope only, as on the wire. The MIME boundary-free plain-text body keeps it stable.
 */
export async function composeRaw(message: RenderedMessage): Promise<string> {
  const raw = await new MailComposer({ ...message, date: new Date(message.date) }).compile().build();
  return raw.toString('utf8');
}
