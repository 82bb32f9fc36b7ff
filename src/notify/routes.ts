import type { AdminRoute } from '../admin/route.js';
import { sendError, sendJson } from '../admin/route.js';
import { BadRequestError } from '../errors.js';
import type { Outbox } from './outbox.js';
import { NOTICE_KINDS, NOTICE_STATES, SUPPRESSION_TEXT, type NoticeKind, type NoticeRow, type NoticeState, type SuppressionReason } from './types.js';

const PAGE_MAX = 500;

/** A notice as listed (no message body; `notices show ID` prints that). */
export function summarise(r: NoticeRow) {
  return {
    id: r.id,
    kind: r.kind,
    ip: r.ip,
    state: r.state,
    reason: r.state === 'suppressed' ? SUPPRESSION_TEXT[r.reason as SuppressionReason] ?? r.reason : r.reason,
    signature: r.signature,
    hits: r.hits,
    hostname: r.hostname,
    hostStatus: r.host_status,
    attempts: r.attempts,
    createdAt: new Date(r.created_at).toISOString(),
    firstSeen: new Date(r.first_seen).toISOString(),
    lastSeen: new Date(r.last_seen).toISOString(),
    nextAttemptAt: (r.state === 'retrying' || r.state === 'queued') && r.next_attempt_at !== null ? new Date(r.next_attempt_at).toISOString() : null,
    sentAt: r.sent_at === null ? null : new Date(r.sent_at).toISOString(),
    smtpReply: r.smtp_reply,
    /** Operator mail: the exposed path, its status and who is told (null for offender notices); a digest: its abuse mailbox. */
    path: r.path,
    status: r.status,
    recipient: r.recipient,
    /** An abuse digest: the hosts it lists, those seen after it was full, and whether it still takes hosts (open until it is due). */
    hosts: r.hosts ?? null,
    unlisted: r.unlisted ?? null,
    open: r.kind === 'abuse' ? r.host_status === 'open' : null,
    /** The offender's network when queued (`--geoip`). */
    asn: r.asn ?? null,
    asOrg: r.as_org ?? null,
    country: r.country ?? null,
  };
}

/**
 * `GET /notices?state=S&kind=K&limit=N&before=ID`: newest first, `limit` ≤ 500 (default 50); `next` is
 * the `before` of the following page, or null.
 */
export function noticeRoutes(outbox: () => Outbox | undefined): AdminRoute[] {
  return [
    {
      method: 'GET',
      path: '/notices',
      handle(_req, res, url) {
        const state = url.searchParams.get('state') ?? undefined;
        if (state !== undefined && !NOTICE_STATES.includes(state as NoticeState)) {
          return sendError(res, new BadRequestError(`state must be one of ${NOTICE_STATES.join(', ')}`));
        }
        const kind = url.searchParams.get('kind') ?? undefined;
        if (kind !== undefined && !NOTICE_KINDS.includes(kind as NoticeKind)) return sendError(res, new BadRequestError(`kind must be one of ${NOTICE_KINDS.join(', ')}`));
        const limit = bounded(url.searchParams.get('limit'), 50, 1, PAGE_MAX);
        const before = url.searchParams.has('before') ? bounded(url.searchParams.get('before'), 0, 0, Number.MAX_SAFE_INTEGER) : undefined;
        if (limit === null || before === null) return sendError(res, new BadRequestError(`limit must be 1-${PAGE_MAX}; before a notice id`));
        const box = outbox();
        if (!box) return sendJson(res, 200, { notices: [], next: null, counts: null, notify: 'off' });
        const rows = box.list({ state: state as NoticeState | undefined, kind: kind as NoticeKind | undefined, limit, ...(before !== undefined ? { beforeId: before } : {}) });
        const next = rows.length === limit ? rows[rows.length - 1]!.id : null;
        sendJson(res, 200, { notices: rows.map(summarise), next, counts: box.countsByState() });
      },
    },
  ];
}

function bounded(raw: string | null, dflt: number, min: number, max: number): number | null {
  if (raw === null) return dflt;
  if (!/^\d{1,16}$/.test(raw)) return null;
  const n = Number(raw);
  return n >= min && n <= max ? n : null;
}
