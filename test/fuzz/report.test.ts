import assert from 'node:assert/strict';
import { generateOne } from './generator.js';
import { escapeBytes, FailureLog } from './report.js';

describe('the fuzz report', () => {
  it('escapes bytes so they can be pasted back, with long runs shortened', () => {
    assert.equal(escapeBytes(Buffer.from('GET /\\ HTTP/1.1\r\n\t\x00\xff', 'latin1')), 'GET /\\\\ HTTP/1.1\\r\\n\\t\\x00\\xff');
    assert.equal(escapeBytes(`/${'N'.repeat(224)}?`), '/{N×224}?');
    assert.match(escapeBytes('x'.repeat(10).split('').join('y').repeat(100), 50), /…\(1900 bytes\)$/);
  });

  it('counts every failure but keeps a few, preferring categories not yet shown', () => {
    const log = new FailureLog(['smuggled'] as const, 2);
    const a = generateOne(1, 1);
    let other = generateOne(1, 2);
    for (let i = 3; other.category === a.category; i++) other = generateOne(1, i);
    log.add('smuggled', a, 'first', 1, 'hidden');
    log.add('smuggled', a, 'second', 1, 'hidden');
    log.add('smuggled', a, 'third', 1, 'hidden');
    log.add('smuggled', other, 'other category', 1, 'hidden');
    assert.equal(log.counts.smuggled, 4);
    assert.deepEqual(log.kinds.smuggled, { hidden: 4 });
    assert.deepEqual(log.kept.smuggled.map((f) => f.detail), ['first', 'other category']);
  });
});
