import nodemailer from 'nodemailer';
import type { Options } from '../config/options.js';
import type { RenderedMessage } from './types.js';

/** Pool size: at most this many SMTP connections (and messages in flight). */
export const SMTP_MAX_CONNECTIONS = 5;

export interface Sender {
  send(message: RenderedMessage): Promise<string>;
  close(): void;
}

/** Where there is no `--smtp-url` (fleet mode, `wormwatch mailer` sends): never asked to send. */
export const NO_SMTP: Sender = {
  send: () => Promise.reject(new Error('no --smtp-url: this replica leaves sending to wormwatch mailer')),
  close: () => undefined,
};

/**
 * nodemailer's pooled SMTP transport from `--smtp-url` and the STARTTLS/rate options. Time-outs
 * are bounded so one send always ends well inside the default lease (2 min).
 */
export function createSender(options: Pick<Options, 'smtpUrl' | 'smtpRateLimit' | 'smtpRequireTls' | 'smtpTlsRejectUnauthorized'>): Sender {
  const url = options.smtpUrl!;
  const secure = url.protocol === 'smtps:';
  const transport = nodemailer.createTransport({
    pool: true,
    maxConnections: SMTP_MAX_CONNECTIONS,
    maxMessages: 100,
    rateDelta: 1000,
    rateLimit: options.smtpRateLimit,
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    requireTLS: options.smtpRequireTls,
    tls: { rejectUnauthorized: options.smtpTlsRejectUnauthorized },
    auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
    connectionTimeout: 20_000,
    greetingTimeout: 20_000,
    socketTimeout: 60_000,
  });
  return {
    async send(message) {
      const info = await transport.sendMail({ ...message, date: new Date(message.date) });
      return String(info.response ?? '250 accepted');
    },
    close() {
      transport.close();
    },
  };
}
