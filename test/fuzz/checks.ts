/**
 * The invariants, as pure functions of what was sent (inputs and the oracle's reading), what the
 * clients got, and what the origin parsed. The I/O that gathers these is in `harness.ts`.
 */
import type { Engine } from '../../src/detect/types.js';
import type { OriginConnection, OriginRequest } from '../helpers/raw-origin.js';
import type { ClientOutcome } from './client.js';
import type { FuzzInput } from './generator.js';
import { headerObject, passThrough } from './iis-view.js';
import { sameRequest, type TopLevelRequest } from './oracle.js';
import { escapeBytes, type FailureLog, type Invariant } from './report.js';

export type NoteKind = 'forwardedMustRefuse' | 'originParseError' | 'echoNeverDelivered' | 'bodyOnHeadAnswer';
export const NOTE_KINDS: readonly NoteKind[] = ['forwardedMustRefuse', 'originParseError', 'echoNeverDelivered', 'bodyOnHeadAnswer'];

/** The body of an error wormwatch writes itself (`sendError` / `sendRawError`). */
const OWN_ERROR_BODY = /^\d{3} [^:\n]*: ERR_[A-Z_]+\n$/;

const ID = /^f(\d+)\.(h?)\d+$/;

/** The inputs of a run by index. */
export type InputIndex = ReadonlyMap<number, FuzzInput>;

export function inputIndexOf(fuzzId: string | undefined): number | undefined {
  const m = fuzzId === undefined ? null : ID.exec(fuzzId);
  return m === null ? undefined : Number(m[1]);
}

function line(method: string, target: string): string {
  return `${method} ${target.length > 120 ? `${target.slice(0, 120)}…` : target}`;
}

interface Slot {
  input: FuzzInput;
  top: TopLevelRequest;
  used: boolean;
}

/**
 * Every request the origin parsed must be one top-level request of its input (same id, same
 * method and target), each at most once; requests without an id are matched by request line
 * against id-less top-level requests (HTTP/0.9). And none may be one block mode promised to stop.
 */
export function checkOriginRequests(
  inputs: InputIndex,
  connections: readonly OriginConnection[],
  engine: Engine,
  log: FailureLog<Invariant>,
  notes: FailureLog<NoteKind>,
): void {
  const slots = new Map<string, Slot>();
  const idless = new Map<string, Slot[]>();
  for (const input of inputs.values()) {
    for (const top of input.expect.requests) {
      const slot = { input, top, used: false };
      if (top.fuzzId !== undefined && inputIndexOf(top.fuzzId) === input.index) slots.set(top.fuzzId, slot);
      else idless.set(`${top.method} ${top.target}`, [...(idless.get(`${top.method} ${top.target}`) ?? []), slot]);
    }
  }
  for (const conn of connections) {
    for (const r of conn.requests) {
      const owner = ownerOf(r, conn, inputs);
      checkSmuggling(r, owner, slots, idless, log, notes);
      // A head the origin refused as malformed was not run (an IIS would refuse it too).
      if (r.rejected) continue;
      const verdict = passThrough(engine, { method: r.method, target: r.target, headers: headerObject(r.fields) });
      if (verdict !== null) log.add('passedThrough', owner, `origin got ${line(r.method, r.target)} (${verdict.by}: ${verdict.detail})`, 1, verdict.by);
    }
  }
}

/** The input a request came from: by its id, else the one before it on the same origin connection. */
function ownerOf(r: OriginRequest, conn: OriginConnection, inputs: InputIndex): FuzzInput | undefined {
  for (let k = r.seq; k >= 0; k--) {
    const i = inputIndexOf(conn.requests[k]?.fuzzId);
    if (i !== undefined) return inputs.get(i);
  }
  return undefined;
}

function checkSmuggling(
  r: OriginRequest,
  owner: FuzzInput | undefined,
  slots: Map<string, Slot>,
  idless: Map<string, Slot[]>,
  log: FailureLog<Invariant>,
  notes: FailureLog<NoteKind>,
): void {
  const seen = line(r.method, r.target);
  if (r.fuzzId === undefined) {
    const slot = (idless.get(`${r.method} ${r.target}`) ?? []).find((s) => !s.used);
    if (slot !== undefined) slot.used = true;
    else log.add('smuggled', owner, `origin got ${seen} without an id: no top-level request of any input (attributed to the request before it on origin connection ${r.connId})`, 1, 'unidentified');
    return;
  }
  const slot = slots.get(r.fuzzId);
  if (slot === undefined) {
    const hidden = ID.exec(r.fuzzId)?.[2] === 'h';
    const kind = hidden ? 'hidden in a body' : 'after the point where a correct server stops reading';
    log.add('smuggled', owner, `origin got ${seen} (id ${r.fuzzId}), ${kind}; not a top-level request`, 1, hidden ? 'hidden-in-body' : 'after-stop');
  } else if (slot.used) {
    log.add('smuggled', owner, `origin got ${seen} (id ${r.fuzzId}) a second time`, 1, 'duplicate');
  } else if (!sameRequest(slot.top, r.method, r.target)) {
    log.add('smuggled', owner, `origin got ${seen} for top-level ${line(slot.top.method, slot.top.target)} (id ${r.fuzzId})`, 1, 'line-mismatch');
  } else {
    slot.used = true;
    if (slot.top.refuse === 'must') notes.add('forwardedMustRefuse', owner, `origin got ${seen}; a correct server must refuse it (${slot.top.issues.join(', ')})`);
  }
}

/**
 * Every answer a client got must belong to the request at that position of its own input
 * (RFC 9112 section 9.3.2: responses in request order). An origin answer naming another input's
 * id went to the wrong client; one naming another request of the same input is out of place. An
 * answer wormwatch made itself, other than an upstream failure, cannot belong to a request the
 * origin received whole (wormwatch read all of it): it answers a later request, in its place.
 * Bytes that start no response where one should start desynchronise the client too.
 */
export function checkResponses(input: FuzzInput, outcome: ClientOutcome, originComplete: ReadonlySet<string>, log: FailureLog<Invariant>, notes: FailureLog<NoteKind>): void {
  if (outcome.garbage !== undefined) {
    const n = outcome.responses.length;
    // wormwatch's own error body after an answer read as one to HEAD, then the close: a body on a HEAD answer, not a lost frame.
    if (input.expect.requests[n - 1]?.method === 'HEAD' && OWN_ERROR_BODY.test(outcome.garbage) && outcome.closedByServer) {
      notes.add('bodyOnHeadAnswer', input, `response ${n - 1} to HEAD (${outcome.responses[n - 1]!.status}) carried a body: ${escapeBytes(outcome.garbage, 80)}`);
    } else {
      log.add('desynchronised', input, `after ${n} responses the client got bytes that start no response: ${escapeBytes(outcome.garbage, 120)}`, 1, 'not-a-response');
    }
  }
  outcome.responses.forEach((res, n) => {
    const top = input.expect.requests[n];
    if (res.echo === undefined) {
      if (top?.fuzzId !== undefined && originComplete.has(top.fuzzId) && !/^\d{3} [^:]*: ERR_UPSTREAM_/.test(res.body)) {
        log.add('desynchronised', input, `response ${n} is wormwatch's own ${res.status} ${res.body.trim().slice(0, 60)}, but request ${top.fuzzId} at that position reached the origin whole: the answer to a later request came in its place`, 1, 'answer-to-a-later-request');
      }
      return;
    }
    const owner = inputIndexOf(res.echo);
    if (owner !== undefined && owner !== input.index) {
      log.add('desynchronised', input, `response ${n} (${res.status}) answers ${res.echo}, a request of input #${owner}`, 1, 'wrong-client');
    } else if (top === undefined) {
      log.add('desynchronised', input, `response ${n} (${res.status}) answers ${res.echo}, but the input has only ${input.expect.requests.length} top-level requests`, 1, 'extra-response');
    } else if (res.echo === '-' && res.body.startsWith('echo - "" ""')) {
      log.add('desynchronised', input, `response ${n} (${res.status}) is the origin's answer to bytes it could not parse, not to top-level request ${top.fuzzId ?? '(no id)'}`, 1, 'unparsable-bytes');
    } else if (res.echo === '-' ? !echoNames(res.body, top) : res.echo !== top.fuzzId) {
      log.add('desynchronised', input, `response ${n} (${res.status}) answers ${res.echo} ${res.body.trim().slice(0, 100)}, not top-level request ${top.fuzzId ?? '(no id)'} ${line(top.method, top.target)}`, 1, 'out-of-place');
    }
  });
}

/** The origin's echo body (`echo - "GET" "/x"`) names this request. */
function echoNames(body: string, top: TopLevelRequest): boolean {
  const m = /^echo \S+ ("(?:[^"\\]|\\.)*") ("(?:[^"\\]|\\.)*")/.exec(body);
  if (m === null) return false;
  return sameRequest(top, JSON.parse(m[1]!) as string, JSON.parse(m[2]!) as string);
}

/** Origin requests whose answer reached no client: where an uncounted request hides. */
export function undeliveredEchoes(inputs: InputIndex, outcomes: ReadonlyMap<number, ClientOutcome>, requests: readonly OriginRequest[], notes: FailureLog<NoteKind>): void {
  const delivered = new Set<string>();
  for (const o of outcomes.values()) for (const res of o.responses) if (res.echo !== undefined) delivered.add(res.echo);
  for (const r of requests) {
    if (r.fuzzId === undefined || delivered.has(r.fuzzId)) continue;
    const i = inputIndexOf(r.fuzzId);
    const input = i === undefined ? undefined : inputs.get(i);
    if (input?.after === 'reset') continue;
    notes.add('echoNeverDelivered', input, `origin answered ${line(r.method, r.target)} (id ${r.fuzzId}); no client got that answer`);
  }
}
