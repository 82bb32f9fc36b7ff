/**
 * The abuse mailbox in an RDAP answer (RFC 9083 entities, RFC 7095 jCard). The answer is hostile
 * input: whoever holds the network writes its contacts, and an attacker may hold the network it
 * describes. Everything here is bounded and pure.
 */

/** Entities nested deeper than this are not searched (RIRs nest two or three levels). */
export const MAX_ENTITY_DEPTH = 4;
/** At most this many entities are looked at in one answer. */
export const MAX_ENTITIES = 200;
/** At most this many vCard properties are read per entity. */
export const MAX_VCARD_PROPERTIES = 100;
/** RFC 5321: a path is at most 256 octets with its brackets, so a mailbox at most 254. */
export const MAX_MAILBOX = 254;

export type ContactOutcome =
  | { kind: 'found'; email: string }
  | { kind: 'none'; reason: string }
  | { kind: 'invalid'; reason: string };

/**
 * The first usable email of an entity whose roles include `abuse`, breadth first: top-level
 * entities before nested ones (RIPE NCC, AFRINIC and LACNIC put the abuse entity at the top; ARIN
 * and APNIC nest it under the registrant or another entity), so a deeper entry never wins over a
 * shallower one.
 */
export function findAbuseContact(response: unknown): ContactOutcome {
  let level: unknown[] = entitiesOf(response);
  let seen = 0;
  let rejected: string | null = null;
  let placeholder = false;
  for (let depth = 1; depth <= MAX_ENTITY_DEPTH && level.length > 0; depth++) {
    const next: unknown[] = [];
    for (const entity of level) {
      if (++seen > MAX_ENTITIES) return verdict(rejected, placeholder, `the answer lists more than ${MAX_ENTITIES} entities`);
      if (hasAbuseRole(entity)) {
        for (const value of emailsOf(entity)) {
          const check = checkMailbox(value);
          if (check === 'ok') return { kind: 'found', email: normaliseMailbox(value as string) };
          if (check === 'placeholder') placeholder = true;
          else rejected ??= check;
        }
      }
      next.push(...entitiesOf(entity));
    }
    level = next;
  }
  return verdict(rejected, placeholder, null);
}

function verdict(rejected: string | null, placeholder: boolean, extra: string | null): ContactOutcome {
  if (rejected) return { kind: 'invalid', reason: `the abuse contact was rejected: ${rejected}` };
  if (placeholder) return { kind: 'none', reason: 'the abuse contact is redacted or a placeholder' };
  return { kind: 'none', reason: extra ?? 'the RDAP answer names no abuse contact' };
}

function entitiesOf(o: unknown): unknown[] {
  if (typeof o !== 'object' || o === null) return [];
  const e = (o as { entities?: unknown }).entities;
  return Array.isArray(e) ? e.slice(0, MAX_ENTITIES) : [];
}

function hasAbuseRole(entity: unknown): boolean {
  const roles = (entity as { roles?: unknown } | null)?.roles;
  return Array.isArray(roles) && roles.slice(0, 20).some((r) => typeof r === 'string' && r.toLowerCase() === 'abuse');
}

/** Email values of a jCard: `["vcard", [["email", {params}, "text", "a@b"], ...]]`. */
export function emailsOf(entity: unknown): unknown[] {
  const card = (entity as { vcardArray?: unknown } | null)?.vcardArray;
  if (!Array.isArray(card) || card[0] !== 'vcard' || !Array.isArray(card[1])) return [];
  const out: unknown[] = [];
  for (const prop of (card[1] as unknown[]).slice(0, MAX_VCARD_PROPERTIES)) {
    if (!Array.isArray(prop) || typeof prop[0] !== 'string' || prop[0].toLowerCase() !== 'email') continue;
    // A `uri`-typed value may carry a mailto: URI instead of the bare address.
    const value = prop[2] === 'uri' && typeof prop[3] === 'string' ? prop[3].replace(/^mailto:/i, '') : prop[3];
    out.push(value);
  }
  return out;
}

/** Words of a redaction notice ("REDACTED FOR PRIVACY", "Data withheld", "n/a", ...). */
const PLACEHOLDER = /redacted|withheld|privacy|not[\s._-]*(?:available|disclosed|applicable)|^n\/?a$|^none$|^-+$/i;
// dot-atom local part (RFC 5322 atext); quoted local parts are refused rather than parsed.
const LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** 'ok', 'placeholder', or why the value is not one syntactically valid mailbox. */
export function checkMailbox(value: unknown): 'ok' | 'placeholder' | string {
  if (typeof value !== 'string') return 'the email is not a string';
  if (value.trim() === '') return 'placeholder';
  if (value.length > MAX_MAILBOX) return `the email is longer than ${MAX_MAILBOX} characters`;
  if (/[\x00-\x1f\x7f\u0085\u2028\u2029]/.test(value)) return 'the email contains control characters';
  const problem = mailboxProblem(value);
  // "abuse@privacyguard.example" is a real mailbox; "REDACTED FOR PRIVACY" is not one at all.
  if (problem) return PLACEHOLDER.test(value) ? 'placeholder' : problem;
  if (/redacted/i.test(value) || /\.invalid$/i.test(value)) return 'placeholder';
  return 'ok';
}

function mailboxProblem(value: string): string | null {
  if (/[\s,;<>()[\]"\\]/.test(value)) return 'the email is not a single mailbox';
  const at = value.lastIndexOf('@');
  if (at <= 0 || value.indexOf('@') !== at) return 'the email is not a single mailbox';
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (local.length > 64 || !LOCAL.test(local)) return 'the email has an invalid local part';
  const labels = domain.split('.');
  if (domain.length > 253 || labels.length < 2 || !labels.every((l) => LABEL.test(l)) || /^\d+$/.test(labels[labels.length - 1]!)) {
    return 'the email has an invalid domain';
  }
  return null;
}

/** The domain is case-insensitive; the local part is kept as written (RFC 5321 §2.4). */
function normaliseMailbox(value: string): string {
  const at = value.lastIndexOf('@');
  return `${value.slice(0, at)}@${value.slice(at + 1).toLowerCase()}`;
}
