/** Lifecycle of a notice in the outbox. `sending` rows carry a lease; see outbox.ts. */
export type NoticeState = 'queued' | 'sending' | 'sent' | 'retrying' | 'failed' | 'suppressed';

export const NOTICE_STATES: readonly NoticeState[] = ['queued', 'sending', 'sent', 'retrying', 'failed', 'suppressed'];

/** What the catalogue said about the signature, frozen when the notice is queued. */
export interface SignatureSnapshot {
  id: string;
  title: string;
  description: string;
  references: string[];
}

/** Everything a notice says about one offender address, merged over its hits. */
export interface NoticeFacts {
  ip: string;
  signature: SignatureSnapshot;
  firstSeen: number;
  lastSeen: number;
  hits: number;
  /** Sanitised request lines, at most MAX_SAMPLES. */
  samples: string[];
}

/** Outcome of the reverse lookup: a forward-confirmed name, or why there is none. */
export type HostLookup = { hostname: string } | { hostname: null; reason: string };

/** A rendered message, in nodemailer's mail-option shape (stored as JSON; sent as is). */
export interface RenderedMessage {
  from: string;
  replyTo?: string;
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  text: string;
  messageId: string;
  date: string;
  headers: Record<string, string>;
}

export interface NoticeRow {
  id: number;
  ip: string;
  state: NoticeState;
  reason: string | null;
  signature: string;
  hits: number;
  first_seen: number;
  last_seen: number;
  hostname: string | null;
  /** NULL while the reverse lookup is pending; otherwise `confirmed` or why not. */
  host_status: string | null;
  facts: string;
  message: string | null;
  attempts: number;
  created_at: number;
  updated_at: number;
  next_attempt_at: number;
  lease_until: number | null;
  deadline_at: number;
  sent_at: number | null;
  smtp_reply: string | null;
}

export const MAX_SAMPLES = 5;
