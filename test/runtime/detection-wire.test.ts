import assert from 'node:assert/strict';
import { serialize, deserialize } from 'node:v8';
import { SignatureReceiver, SignatureSender, WIRE_SIGNATURES_MAX } from '../../src/runtime/cluster/detection-wire.js';
import { detectionOf } from '../../src/detect/detection.js';
import { builtinCatalogue, defaultEngine } from '../../src/rules/index.js';
import type { DetectionEvent } from '../../src/detect/detection.js';
import type { WireDetection } from '../../src/runtime/cluster/detection-wire.js';

/** Through the structured clone of `serialization: 'advanced'`, as over the cluster's IPC. */
const overIpc = (w: WireDetection): WireDetection => deserialize(serialize(w)) as WireDetection;

describe('detections between a proxy worker and the primary', () => {
  const engine = defaultEngine();
  const codered = (ip: string): DetectionEvent => detectionOf(engine, engine.normalise({ method: 'GET', target: `/default.ida?${'N'.repeat(224)}%u9090=a` }), 'request', ip, new Date('2026-12-01T12:00:00Z'), 'forwarded')!;

  it('sends a signature whole until one message carrying it was delivered, then by id, and the primary gets the same event', () => {
    const sender = new SignatureSender();
    const receiver = new SignatureReceiver();
    const first = sender.pack(codered('198.51.100.1'));
    const notYet = sender.pack(codered('198.51.100.2'));
    assert.equal(typeof notYet.signature, 'object', 'not delivered yet: whole again');
    sender.delivered(first);
    const later = sender.pack(codered('198.51.100.3'));
    assert.equal(later.signature, (first.signature as { id: string }).id);
    assert.ok(serialize(later).length * 4 < serialize(first).length, 'the id form is a fraction of the size');
    for (const [wire, ip] of [[first, '198.51.100.1'], [notYet, '198.51.100.2'], [later, '198.51.100.3']] as const) {
      const event = receiver.unpack(overIpc(wire));
      const expected = codered(ip);
      assert.deepEqual(event, { ...expected, verdict: { ...expected.verdict, signature: event?.verdict.signature } });
      assert.equal(event?.verdict.signature.title, expected.verdict.signature.title);
      assert.deepEqual(event?.verdict.signature.examples, expected.verdict.signature.examples);
      assert.ok(event?.at instanceof Date);
    }
  });

  it('sends a reloaded signature (a new object with the same id) whole again, and the primary takes the new one', () => {
    const sender = new SignatureSender();
    const receiver = new SignatureReceiver();
    const old = sender.pack(codered('198.51.100.4'));
    sender.delivered(old);
    receiver.unpack(overIpc(old));
    const event = codered('198.51.100.4');
    const reloaded = { ...event, verdict: { ...event.verdict, signature: { ...event.verdict.signature, title: 'CodeRed, new text' } } };
    const wire = sender.pack(reloaded);
    assert.equal(typeof wire.signature, 'object');
    assert.equal(receiver.unpack(overIpc(wire))?.verdict.signature.title, 'CodeRed, new text');
    assert.equal(receiver.unpack(overIpc({ ...sender.pack(reloaded), signature: reloaded.verdict.signature.id }))?.verdict.signature.title, 'CodeRed, new text');
  });

  it('refuses an id it was never sent, and remembers at most WIRE_SIGNATURES_MAX signatures', () => {
    const receiver = new SignatureReceiver();
    const wire = new SignatureSender().pack(codered('198.51.100.5'));
    assert.equal(receiver.unpack({ ...wire, signature: 'no-such-signature' }), null);
    const base = builtinCatalogue()[0]!;
    for (let i = 0; i <= WIRE_SIGNATURES_MAX; i++) receiver.unpack({ ...wire, signature: { ...base, id: `generated-${i}` } });
    assert.equal(receiver.unpack({ ...wire, signature: 'generated-0' }), null, 'the oldest were let go');
    assert.equal(receiver.unpack({ ...wire, signature: `generated-${WIRE_SIGNATURES_MAX}` })?.verdict.signature.id, `generated-${WIRE_SIGNATURES_MAX}`);
  });
});
