import assert from 'node:assert/strict';
import { BODY_HEAD_BYTES, bodyHead, responseVerdict } from '../../src/detect/response.js';
import { validateRuleData } from '../../src/detect/rule-schema.js';
import type { ResponseRule, Signature } from '../../src/detect/types.js';

const at404 = (response?: ResponseRule): Pick<Signature, 'stage' | 'response'> => (response ? { stage: '404', response } : { stage: '404' });
const DOTENV: ResponseRule = { probe: 'any', success: 'exposure', confirm: '(?:^|\\n)[a-z_][a-z0-9_]*=' };

describe('detect/response: responseVerdict', () => {
  it('makes 401, 403, 404 and 405 probes by default, and nothing of a redirect or a server error', () => {
    for (const status of [401, 403, 404, 405]) assert.equal(responseVerdict(at404(), status), 'probe', String(status));
    for (const status of [301, 302, 400, 500, 503]) assert.equal(responseVerdict(at404(), status), null, String(status));
  });

  it('treats a 2xx as the site\'s own page by default (owned: no detection)', () => {
    assert.equal(responseVerdict(at404(), 200), null);
    assert.equal(responseVerdict(at404({ success: 'owned' }), 204, 'anything'), null);
  });

  it('with probe: any, makes every non-2xx answer a probe, redirects and 5xx included', () => {
    for (const status of [100, 301, 400, 404, 418, 500, 599]) assert.equal(responseVerdict(at404({ probe: 'any' }), status), 'probe', String(status));
    assert.equal(responseVerdict(at404({ probe: 'any' }), 200), null);
  });

  it('keeps to an explicit probe list', () => {
    const rule = at404({ probe: [404] });
    assert.equal(responseVerdict(rule, 404), 'probe');
    assert.equal(responseVerdict(rule, 403), null);
  });

  it('calls a 2xx of an exposure signature an exposure when no body is known (a log scan)', () => {
    assert.equal(responseVerdict(at404(DOTENV), 200, undefined), 'exposure');
    assert.equal(responseVerdict(at404({ success: 'exposure' }), 206), 'exposure');
  });

  it('confirms an exposure from the body, and calls a catch-all page that does not match a probe', () => {
    assert.equal(responseVerdict(at404(DOTENV), 200, 'APP_NAME=Laravel\nDB_PASSWORD=hunter2\n'), 'exposure');
    assert.equal(responseVerdict(at404(DOTENV), 200, '<!doctype html><html><title>Shop</title>'), 'probe');
  });

  it('reads a binary body as latin1 and lower-cased, so magic bytes and upper case still confirm', () => {
    const zip = at404({ success: 'exposure', confirm: '^pk\\x03\\x04' });
    assert.equal(responseVerdict(zip, 200, Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00])), 'exposure');
    assert.equal(responseVerdict(zip, 200, Uint8Array.from([0x3c, 0x68, 0x74, 0x6d, 0x6c])), 'probe');
    assert.equal(responseVerdict(at404({ success: 'exposure', confirm: '\\[core\\]' }), 200, '[CORE]\n\trepositoryformatversion = 0'), 'exposure');
  });

  it('reads only the first 4 KiB of the body', () => {
    const rule = at404({ success: 'exposure', confirm: 'secret' });
    assert.equal(responseVerdict(rule, 200, `${' '.repeat(BODY_HEAD_BYTES)}secret`), 'probe');
    assert.equal(responseVerdict(rule, 200, `${' '.repeat(BODY_HEAD_BYTES - 6)}secret`), 'exposure');
    const bytes = new Uint8Array(10_000).fill(0x41);
    assert.equal(bodyHead(bytes)?.length, BODY_HEAD_BYTES);
    assert.equal(bodyHead(bytes.subarray(9_000))?.length, 1_000);
  });

  it('says a request-stage signature is a probe whatever the answer, and nothing of a nonsense status', () => {
    assert.equal(responseVerdict({ stage: 'request' }, 200), 'probe');
    for (const status of [0, 99, 600, 404.5, Number.NaN]) assert.equal(responseVerdict(at404({ probe: 'any' }), status), null, String(status));
  });
});

/** A minimal 404-stage rule for the validator, with overrides. */
function rule(extra: Record<string, unknown>): Record<string, unknown> {
  return {
    id: 'acme-env', family: 'hunt', title: 'Hunt for the ACME env file', description: 'Bots look for the ACME env file.',
    references: ['internal'], stage: '404',
    match: { target: 'path', pattern: '/acme\\.env$', literals: ['acme.env'] },
    examples: { positive: ['GET /acme.env HTTP/1.1'], negative: ['GET /acme.html HTTP/1.1'] },
    ...extra,
  };
}

function check(entry: Record<string, unknown>): string[] {
  const errors: string[] = [];
  validateRuleData([entry], 'acme.yaml', errors);
  return errors;
}

describe('detect/rules: response semantics in rule files', () => {
  it('accepts response with probe, success and confirm, and keeps it on the signature', () => {
    const errors: string[] = [];
    const set = validateRuleData([rule({ response: { probe: 'any', success: 'exposure', confirm: '^acme_' } })], 'acme.yaml', errors);
    assert.deepEqual(errors, []);
    assert.deepEqual(set.signatures[0]?.response, { probe: 'any', success: 'exposure', confirm: '^acme_' });
  });

  it('refuses response on a request-stage signature', () => {
    const errors = check(rule({ stage: 'request', response: { probe: 'any' } }));
    assert.match(errors.join('\n'), /response: only a 404-stage signature/);
  });

  it('refuses bad probe lists, an unknown success, unknown fields, and confirm without exposure', () => {
    assert.match(check(rule({ response: { probe: [200, 404] } })).join('\n'), /response\.probe:/);
    assert.match(check(rule({ response: { probe: [] } })).join('\n'), /response\.probe:/);
    assert.match(check(rule({ response: { probe: 'some' } })).join('\n'), /response\.probe:/);
    assert.match(check(rule({ response: { success: 'leak' } })).join('\n'), /response\.success: exposure or owned/);
    assert.match(check(rule({ response: { when: 200 } })).join('\n'), /response\.when: unknown field/);
    assert.match(check(rule({ response: { confirm: 'x' } })).join('\n'), /response\.confirm: only with success: exposure/);
  });

  it('checks confirm like a pattern: it must compile and be safe from catastrophic backtracking', () => {
    assert.match(check(rule({ response: { success: 'exposure', confirm: '(' } })).join('\n'), /response\.confirm: invalid regular expression/);
    assert.match(check(rule({ response: { success: 'exposure', confirm: '(a+)+$' } })).join('\n'), /response\.confirm: prone to catastrophic backtracking/);
    assert.match(check(rule({ response: { success: 'exposure', confirm: '(?<=x)y' } })).join('\n'), /response\.confirm: lookbehind/);
  });

  it('judges each example by its status and body: a positive must give a probe or an exposure', () => {
    const response = { probe: [404], success: 'exposure', confirm: '^acme_' };
    const ok = { positive: ['GET /acme.env HTTP/1.1', { request: 'GET /acme.env HTTP/1.1', status: 200, body: 'ACME_KEY=1' }, { request: 'GET /acme.env HTTP/1.1', status: 200, body: '<html>' }], negative: [{ request: 'GET /acme.env HTTP/1.1', status: 403 }] };
    assert.deepEqual(check(rule({ response, examples: ok })), []);
    const bad = { positive: [{ request: 'GET /acme.env HTTP/1.1', status: 403 }], negative: [] };
    assert.match(check(rule({ response, examples: bad })).join('\n'), /examples\.positive\[1\]: matches, but a 403 answer makes it neither/);
    const badNegative = { positive: ['GET /acme.env HTTP/1.1'], negative: [{ request: 'GET /acme.env HTTP/1.1', status: 200 }] };
    assert.match(check(rule({ response, examples: badNegative })).join('\n'), /examples\.negative\[1\]: matches, but must not/);
  });

  it('lets an owned signature list its 2xx answer as a negative', () => {
    const examples = { positive: ['GET /acme.env HTTP/1.1'], negative: [{ request: 'GET /acme.env HTTP/1.1', status: 200 }] };
    assert.deepEqual(check(rule({ examples })), []);
  });

  it('refuses status and body on request-stage examples, a body without a 2xx, and bad values', () => {
    const req = { stage: 'request', examples: { positive: [{ request: 'GET /acme.env HTTP/1.1', status: 200 }], negative: [] } };
    assert.match(check(rule(req)).join('\n'), /status and body are for 404-stage examples/);
    assert.match(check(rule({ examples: { positive: [{ request: 'GET /acme.env HTTP/1.1', body: 'x' }], negative: [] } })).join('\n'), /body needs a 2xx status/);
    assert.match(check(rule({ examples: { positive: [{ request: 'GET /acme.env HTTP/1.1', status: 1000 }], negative: [] } })).join('\n'), /status \(100-599\)/);
    assert.match(check(rule({ examples: { positive: [{ request: 'GET /acme.env HTTP/1.1', status: 200, body: 'x'.repeat(5000) }], negative: [] } })).join('\n'), /at most 4096/);
  });
});
