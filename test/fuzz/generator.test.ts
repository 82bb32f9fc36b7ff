import assert from 'node:assert/strict';
import { defaultEngine } from '../../src/rules/index.js';
import { CATEGORY_NAMES, bytesOf, generate, generateOne } from './generator.js';
import { passThrough } from './iis-view.js';
import { expectationOf, originFormOf } from './oracle.js';
import { evasion, plainCodeRed } from './worms.js';
import { inputSeed, Rng } from './rng.js';

describe('the fuzz input generator and its oracle', () => {
  const inputs = generate(9, 2000);

  it('draws the same inputs from the same seed, and other inputs from another', () => {
    assert.deepEqual(bytesOf(generateOne(9, 1234)), bytesOf(inputs[1234]!));
    // Per-input seeds of two runs never meet (a weak mix once made seed s, index i the same
    // input as seed s', index i' whenever s^i = s'^i').
    const run9 = new Set(Array.from({ length: 2000 }, (_, i) => inputSeed(9, i)));
    assert.equal(run9.size, 2000);
    assert.deepEqual(Array.from({ length: 2000 }, (_, i) => inputSeed(1, i)).filter((s) => run9.has(s)), []);
  });

  it('covers every category, and marks inputs a correct server must refuse', () => {
    const seen = new Set(inputs.map((i) => i.category));
    assert.deepEqual([...CATEGORY_NAMES].filter((c) => !seen.has(c)), []);
    const refused = inputs.filter((i) => i.expect.mustRefuse).length;
    assert.ok(refused > 100 && refused < 1900, `${refused} of 2000 must be refused`);
  });

  it('tags every top-level request that has fields with its own input id', () => {
    for (const input of inputs) {
      for (const r of input.expect.requests) {
        if (r.fuzzId !== undefined) assert.match(r.fuzzId, new RegExp(`^f${input.index}\\.h?\\d+$`));
      }
    }
  });

  it('reads a request hidden in a chunked body as no top-level request', () => {
    const hidden = 'GET /default.ida?NNNN HTTP/1.1\r\nHost: x\r\n\r\n';
    const e = expectationOf(Buffer.from(`GET / HTTP/1.1\r\nHost: x\r\nConnection: transfer-encoding\r\nTransfer-Encoding: chunked\r\n\r\n${hidden.length.toString(16)}\r\n${hidden}\r\n0\r\n\r\n`, 'latin1'));
    assert.deepEqual([e.requests.map((r) => r.target), e.mustRefuse, e.owed], [['/'], false, 1]);
  });

  it('owes an answer for a partial head after complete requests', () => {
    const e = expectationOf(Buffer.from('GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTT', 'latin1'));
    assert.deepEqual([e.requests.length, e.owed], [1, 2]);
  });

  it('compares absolute-form targets by the path a proxy forwards', () => {
    assert.equal(originFormOf('http://x.test/a?b'), '/a?b');
    assert.equal(originFormOf('http://x.test?b'), '/?b');
    assert.equal(originFormOf('/plain'), '/plain');
  });

  it('hides only targets an IIS origin still resolves to the worm script', () => {
    const rng = new Rng(3);
    const engine = defaultEngine();
    for (let i = 0; i < 300; i++) {
      const { target, tricks } = evasion(rng);
      assert.notEqual(passThrough(engine, { method: 'GET', target, headers: {} }), null, `${tricks.join('+')}: ${target.slice(0, 120)}`);
    }
    assert.notEqual(engine.match(engine.normalise({ method: 'GET', target: plainCodeRed(rng) }), 'request'), null);
  });
});
