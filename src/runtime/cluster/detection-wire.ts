import type { DetectionEvent } from '../../detect/detection.js';
import type { Signature, Verdict } from '../../detect/types.js';

/**
 * A detection as a worker sends it to the primary. The signature (title, description, references,
 * examples: kilobytes) goes whole the first time, then by id: under a flood every request is a
 * detection, and cloning the signature into each IPC message cost more than the proxying.
 */
export interface WireDetection {
  event: Omit<DetectionEvent, 'verdict'> & { verdict: Omit<Verdict, 'signature'> };
  signature: Signature | string;
}

/** Signatures a primary remembers per worker; a worker's engine holds far fewer (reloads make new ones). */
export const WIRE_SIGNATURES_MAX = 10_000;

/** The worker's side: which signature objects the primary already has (a reload's new objects go whole again). */
export class SignatureSender {
  readonly #sent = new WeakSet<Signature>();

  pack(event: DetectionEvent): WireDetection {
    const { signature, ...verdict } = event.verdict;
    return { event: { ...event, verdict }, signature: this.#sent.has(signature) ? signature.id : signature };
  }

  /** The message carrying `signature` whole reached the channel: later ones may name it. */
  delivered(wire: WireDetection): void {
    if (typeof wire.signature !== 'string') this.#sent.add(wire.signature);
  }
}

/** The primary's side, one per worker: the signatures it was sent, by id. */
export class SignatureReceiver {
  readonly #known = new Map<string, Signature>();

  /** The detection, or null when it names a signature never sent whole (not expected: IPC keeps order). */
  unpack(wire: WireDetection): DetectionEvent | null {
    let signature: Signature | undefined;
    if (typeof wire.signature === 'string') signature = this.#known.get(wire.signature);
    else {
      signature = wire.signature;
      if (!this.#known.has(signature.id) && this.#known.size >= WIRE_SIGNATURES_MAX) this.#known.clear();
      this.#known.set(signature.id, signature);
    }
    if (signature === undefined) return null;
    return { ...wire.event, verdict: { ...wire.event.verdict, signature } };
  }
}
