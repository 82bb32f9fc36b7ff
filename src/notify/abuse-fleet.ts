import type { SharedHost } from './abuse-store.js';
import type { DigestGate, DigestVerdict } from './gate.js';
import type { NoticeRow } from './types.js';

/**
 * The abuse tier's side of fleet-wide digests (fleet mode; the Redis side is src/fleet/digests.ts).
 * Digest windows are aligned on the wall clock, so every replica's digest for one mailbox covers
 * the same window; a digest whose window ended takes no more hosts (they wait for the next
 * window's), so what each replica shares has landed before the digest is settled, `graceMs`
 * later. Shares are held until the outbox transaction that listed the host committed: a rolled
 * back batch is tried again, and must not be counted twice in the fleet's copy.
 */
export class DigestSharing {
  /** Shares of the transaction running (at most one batch of hosts). */
  readonly #due: Array<[mailbox: string, windowEnd: number, host: SharedHost]> = [];
  /** Digests whose verdict is awaited (each settled once at a time; at most the open digests). */
  readonly #settling = new Set<number>();

  constructor(private readonly gate: DigestGate) {}

  /** When a digest opened at `now` is settled: its window's end, plus the grace. */
  dueAt(now: number): number {
    return this.gate.windowEnd(now) + this.gate.graceMs;
  }

  /** When a host that found its digest's window ended is filed again (in the next window's digest). */
  later(now: number): number {
    return now + Math.max(20, this.gate.graceMs);
  }

  /** The digest's window is over: it takes no more hosts or hits. */
  ended(digest: NoticeRow, now: number): boolean {
    return now >= this.gate.windowEnd(digest.created_at);
  }

  /** `host` joined `digest` (or only its new hits did): shared once the transaction committed. */
  add(digest: NoticeRow, host: SharedHost): void {
    if (digest.recipient) this.#due.push([digest.recipient, this.gate.windowEnd(digest.created_at), host]);
  }

  committed(): void {
    for (const [mailbox, windowEnd, host] of this.#due.splice(0)) this.gate.share(mailbox, windowEnd, host);
  }

  rolledBack(): void {
    this.#due.length = 0;
  }

  /** The fleet's digest for `digest`'s mailbox and window was written (or capped) here. */
  confirm(digest: NoticeRow): void {
    this.gate.confirm(digest.recipient ?? '', this.gate.windowEnd(digest.created_at));
  }

  /** Asks the fleet who sends a due digest, once at a time (again on the next tick after `wait`); `apply` writes the verdict (and catches its own errors). */
  settle(digest: NoticeRow, apply: (verdict: DigestVerdict) => void): void {
    if (this.#settling.has(digest.id)) return;
    this.#settling.add(digest.id);
    void this.gate.settle(digest.recipient ?? '', this.gate.windowEnd(digest.created_at))
      .then(apply)
      .finally(() => this.#settling.delete(digest.id));
  }
}
