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

/**
 * The message as a person reads it: the headers that matter, the decoded text part, then the
 * other parts listed (a notice is plain text; abuse reports add machine-readable parts).
 */
export function showMessage(message: RenderedMessage): string {
  const lines = [
    `From: ${message.from}`,
    `To: ${message.to.join(', ')}`,
    ...(message.cc.length ? [`Cc: ${message.cc.join(', ')}`] : []),
    ...(message.bcc.length ? [`Bcc (envelope only): ${message.bcc.join(', ')}`] : []),
    ...(message.replyTo ? [`Reply-To: ${message.replyTo}`] : []),
    `Subject: ${message.subject}`,
    `Date: ${message.date}`,
    `Message-ID: ${message.messageId}`,
    ...Object.entries(message.headers).map(([k, v]) => `${k}: ${v}`),
    '',
    message.text.replace(/\n$/, ''),
    '',
    ...partsOf(message),
  ];
  return `${lines.join('\n')}\n`;
}

/** The parts of the message, listed (the text is printed above; the others are named, not printed). */
export function partsOf(message: RenderedMessage): string[] {
  const others = message.attachments ?? [];
  if (others.length === 0) return ['Parts: text/plain (above)'];
  const lines = (text: string) => text.replace(/\n$/, '').split('\n').length;
  return [
    `Parts (${1 + others.length}, multipart/mixed):`,
    '  1. text/plain (above)',
    ...others.map((p, i) => `  ${i + 2}. ${p.filename}: ${p.contentType}, ${lines(p.content)} lines, ${Buffer.byteLength(p.content)} bytes`),
  ];
}
