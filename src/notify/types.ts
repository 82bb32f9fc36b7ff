/** Lifecycle of a notice in the outbox. `sending` rows carry a lease; see outbox.ts. */
export type NoticeState = 'queued' | 'sending' | 'sent' | 'retrying' | 'failed' | 'suppressed';

export const NOTICE_STATES: readonly NoticeState[] = ['queued', 'sending', 'sent', 'retrying', 'failed', 'suppressed'];

/**
 * Who a notice is for: an offending host's administrators (the host tier), this site's operator
 * (an exposure), or the abuse desk of the offenders' network (the abuse tier: a digest).
 */
export type NoticeKind = 'offender' | 'operator' | 'abuse';

export const NOTICE_KINDS: readonly NoticeKind[] = ['offender', 'operator', 'abuse'];

/** What the catalogue said about the signature, frozen when the notice is queued. */
export interface SignatureSnapshot {
  id: string;
  title: string;
  description: string;
  references: string[];
  /** The catalogue family (`codered`, `hunt`, ...): the X-ARF category of a digest. Absent in older rows. */
  family?: string;
}

/** A signature as a digest lists it: id, title and family. */
export interface SignatureRef {
  id: string;
  title: string;
  family: string;
}

/** The network an address is announced from (`--geoip`), each part null when unknown. */
export interface NetworkFacts {
  asn: number | null;
  asOrg: string | null;
  country: string | null;
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
  /** When each sample was first seen (parallel to `samples`): the CLF evidence of a digest. */
  sampleTimes?: number[];
  /** Other signatures the address matched, besides `signature` (at most MAX_SIGNATURES - 1). */
  others?: SignatureRef[];
  /** The address's network (AS, organisation, country), when the offender store knows it. */
  network?: NetworkFacts;
  /**
   * Fleet mode: the host-tier notice was queued in the fleet's stream at this time, so these hits
   * are for the abuse tier alone (and `--abuse-after` counts from then). In memory only.
   */
  hostQueuedAt?: number;
}

/** Outcome of the reverse lookup: a forward-confirmed name, or why there is none. */
export type HostLookup = { hostname: string } | { hostname: null; reason: string };

/** A rendered message, in nodemailer's mail-option shape (stored as JSON; sent as is). */
/**
 * A MIME part after the text, in nodemailer's attachment shape: `raw` is sent as is (7bit text,
 * never re-encoded); the other fields describe it for `notices show`.
 */
export interface MessagePart {
  filename: string;
  content: string;
  contentType: string;
  raw: string;
}

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
  /** Parts after the text: the X-ARF report and its evidence, or a digest's CLF evidence. */
  attachments?: MessagePart[];
}

export interface NoticeRow {
  id: number;
  ip: string;
  state: NoticeState;
  /** Why it is suppressed (a code, see SUPPRESSION_REASONS), or the last SMTP failure. */
  reason: string | null;
  signature: string;
  /** The `signature_texts` row: the signature's title, description and references when queued. */
  text_id: number | null;
  hits: number;
  first_seen: number;
  last_seen: number;
  /** JSON array of sanitised request lines; NULL for suppressed notices (never rendered). */
  samples: string | null;
  hostname: string | null;
  /** NULL while the reverse lookup is pending; otherwise `confirmed` or why not. */
  host_status: string | null;
  /** Kept so that every retry of one notice is the same message; NULL when suppressed. */
  message_id: string | null;
  attempts: number;
  created_at: number;
  updated_at: number;
  next_attempt_at: number | null;
  lease_until: number | null;
  deadline_at: number | null;
  sent_at: number | null;
  smtp_reply: string | null;
  kind: NoticeKind;
  /** Operator mail: the exposed path (sanitised when detected) and its status; NULL for an offender notice. */
  path: string | null;
  status: number | null;
  /** Operator mail: the address it is (or was) sent to (`--operator-email` when queued); an abuse digest: the abuse mailbox. */
  recipient: string | null;
  /** The offender's network when queued (`--geoip`); NULL when unknown, and on digests (each host has its own). */
  asn: number | null;
  as_org: string | null;
  country: string | null;
  /** An abuse digest: the hosts it lists, and those seen after it held DIGEST_MAX_HOSTS; NULL otherwise. */
  hosts: number | null;
  unlisted: number | null;
}

/** Why a notice was kept but not sent: a small fixed set (also a metrics label). */
export type SuppressionReason = 'not-eligible' | 'hourly-cap' | 'domain-cap' | 'outbox-full';

export const SUPPRESSION_TEXT: Record<SuppressionReason, string> = {
  'not-eligible': 'the address is private, special-purpose or in --allow',
  'hourly-cap': 'the hourly cap (--notice-max-per-hour) was reached',
  'domain-cap': 'the hourly cap per recipient domain (--notice-max-per-domain-per-hour) was reached',
  'outbox-full': 'the outbox held --outbox-max-rows notices waiting to be sent',
};

export const MAX_SAMPLES = 5;
/** Distinct signatures remembered per address in the hand-off and per digest entry. */
export const MAX_SIGNATURES = 10;

/**
 * Counted once per batch, then kept exact by the batch's own inserts: notices in the last hour
 * (the hourly cap), rows that may not be evicted (`--outbox-max-rows`), hosts waiting for their
 * RDAP lookup (ABUSE_PENDING_MAX).
 */
export interface BatchCounts {
  hour: number;
  held: number;
  pending: number;
}
