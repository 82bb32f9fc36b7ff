import assert from 'node:assert/strict';
import nodemailer from 'nodemailer';
import YAML from 'yaml';
import { xarfValidator } from './xarf-schema.js';
import { clfLine, escapeRequest, renderXarf, XARF_SCHEMA_URL, XarfInputError, type XarfInput } from '../../src/notify/xarf.js';

const { ajv, validate } = xarfValidator();

const T0 = Date.UTC(2026, 0, 15, 10, 20, 30);
const input = (over: Partial<XarfInput> = {}): XarfInput => ({
  reporter: { org: 'Example Hosting', email: 'security@example.net', domain: 'example.net' },
  sourceIp: '45.33.32.156',
  firstSeen: T0,
  lastSeen: T0 + 3_600_000,
  category: 'worm',
  signatures: [{ id: 'codered-ii', title: 'CodeRed II probe' }],
  hits: 17,
  samples: [
    { at: T0, requestLine: 'GET /default.ida?XXXXXXXX%u9090%u6858 HTTP/1.0', status: 404, bytes: 0 },
    { at: T0 + 60_000, requestLine: 'GET /scripts/..%c1%1c../winnt/system32/cmd.exe?/c+dir HTTP/1.0' },
  ],
  reportId: 'notice-42',
  userAgent: 'wormwatch 0.1.0',
  ...over,
});

async function compose(parts: ReturnType<typeof renderXarf>): Promise<string> {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  const info = await transport.sendMail({ from: 'security@example.net', to: 'abuse@isp.example', subject: parts.subject, text: 'Human readable notice.\n', headers: parts.headers, attachments: parts.attachments });
  return (info.message as Buffer).toString('utf8');
}

describe('X-ARF report (x-arf.org plain format)', () => {
  it('renders a report.txt that validates against the published malware-attack schema', () => {
    const parts = renderXarf(input());
    const [report] = parts.attachments;
    for (const version of ['1.1', '1.2'] as const) {
      const parsed = YAML.parse(report.content, { version });
      assert.ok(validate(parsed), `YAML ${version}: ${ajv.errorsText(validate.errors)}`);
      assert.deepEqual(parsed, parts.report, `YAML ${version} reads back exactly what was meant`);
    }
  });

  it('names the category, source, date, reporter and schema', () => {
    const { report } = renderXarf(input());
    assert.deepEqual(report, {
      'Reported-From': 'security@example.net',
      Category: 'abuse',
      'Report-Type': 'malware-attack',
      'Report-ID': 'notice-42@example.net',
      'User-Agent': 'wormwatch 0.1.0',
      Date: '2026-01-15T10:20:30Z',
      Source: '45.33.32.156',
      'Source-Type': 'ipv4',
      'Destination-System': 'real-world',
      Attachment: 'text/plain',
      'Schema-URL': XARF_SCHEMA_URL,
      Version: 0.2,
      Occurrences: 17,
      TLP: 'green',
    });
  });

  it('validates for every category and for an IPv6 source', () => {
    for (const category of ['worm', 'web-attack', 'scanner'] as const) {
      const parsed = YAML.parse(renderXarf(input({ category, sourceIp: '2600:3c01::f03c:91ff:fe18:bb2f' })).attachments[0].content, { version: '1.1' }) as Record<string, unknown>;
      assert.ok(validate(parsed), `${category}: ${ajv.errorsText(validate.errors)}`);
      assert.equal(parsed['Source-Type'], 'ipv6');
    }
  });

  it('carries the evidence as Common Log Format lines', () => {
    const [, evidence] = renderXarf(input()).attachments;
    assert.equal(evidence.filename, 'logfile.log');
    assert.deepEqual(evidence.content.trimEnd().split('\n'), [
      '45.33.32.156 - - [15/Jan/2026:10:20:30 +0000] "GET /default.ida?XXXXXXXX%u9090%u6858 HTTP/1.0" 404 0',
      '45.33.32.156 - - [15/Jan/2026:10:21:30 +0000] "GET /scripts/..%c1%1c../winnt/system32/cmd.exe?/c+dir HTTP/1.0" - -',
    ]);
    const clf = /^(\S+) (\S+) (\S+) \[(\d{2}\/\w{3}\/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\] "((?:[^"\\]|\\.)*)" (\d{3}|-) (\d+|-)$/;
    for (const line of evidence.content.trimEnd().split('\n')) assert.match(line, clf);
  });

  it('escapes hostile request lines so each stays one 7-bit CLF line', () => {
    const line = clfLine('45.33.32.156', { at: T0, requestLine: 'GET /"quoted"\\path\r\nX-Injected: 1\u0000\u00e9 HTTP/1.1' });
    assert.equal(line, '45.33.32.156 - - [15/Jan/2026:10:20:30 +0000] "GET /\\"quoted\\"\\\\path\\x0d\\x0aX-Injected: 1\\x00\\xc3\\xa9 HTTP/1.1" - -');
    assert.match(line, /^[\x20-\x7e]+$/);
    assert.ok(escapeRequest('A'.repeat(5000)).length <= 800, 'bounded');
    const longest = clfLine('2600:3c01:ffff:ffff:ffff:ffff:ffff:ffff', { at: T0, requestLine: '\u00ff'.repeat(5000), status: 200, bytes: 9_999_999_999 });
    assert.ok(longest.length < 998, `an evidence line fits SMTP's line limit (${longest.length})`);
    const many = renderXarf(input({ samples: Array.from({ length: 500 }, (_, i) => ({ at: T0, requestLine: `GET /${i}` })) }));
    assert.equal(many.attachments[1].content.trimEnd().split('\n').length, 100);
  });

  it('keeps offender-controlled text out of report.txt except as data, in printable ASCII', () => {
    const parts = renderXarf(input({ userAgent: 'wormwatch\r\nBcc: x@y.example', reportId: 'id\nwith"junk' }));
    const text = parts.attachments[0].content;
    assert.match(text, /^[\x20-\x7e\n]+$/);
    assert.equal(text.split('\n').length, Object.keys(parts.report).length + 2, 'one line per field, plus --- and the final newline');
    assert.equal(YAML.parse(text)['Report-ID'], 'idwithjunk@example.net');
  });

  it('builds the MIME structure X-ARF parsers look for (multipart/mixed, X-ARF: YES, report.txt, logfile.log)', async () => {
    const raw = await compose(renderXarf(input()));
    // Field names are case-insensitive (RFC 5322 §1.2.2); nodemailer writes `X-Arf`.
    const header = (name: string) => raw.split('\n\n')[0]!.split('\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))?.replace(/^[^:]+:\s*/, '');
    assert.equal(header('X-ARF'), 'YES');
    assert.equal(header('X-XARF'), 'PLAIN');
    assert.equal(header('Auto-Submitted'), 'auto-generated');
    assert.match(raw, /^Content-Type: multipart\/mixed;/m);
    assert.match(raw, /^Subject: abuse report about 45\.33\.32\.156 - 2026-01-15T11:20:30Z$/m);
    const boundary = /boundary="?([^";\n]+)"?/.exec(raw)![1]!;
    const parts = raw.split(`--${boundary}`).slice(1, -1);
    assert.equal(parts.length, 3);
    assert.match(parts[0]!, /Content-Type: text\/plain/);
    assert.match(parts[1]!, /Content-Type: text\/plain; charset=utf-8; name="report\.txt"/);
    assert.match(parts[1]!, /Content-Transfer-Encoding: 7bit/);
    assert.match(parts[1]!, /Report-Type: "malware-attack"/, 'the YAML is readable as is, not base64');
    assert.match(parts[2]!, /name="logfile\.log"/);
    assert.match(parts[2]!, /Content-Transfer-Encoding: 7bit/);
    assert.match(parts[2]!, /^45\.33\.32\.156 - - \[15\/Jan\/2026:10:20:30 \+0000\] "GET \/default\.ida\?XXXXXXXX%u9090%u6858 HTTP\/1\.0" 404 0$/m, 'each CLF line intact, not folded');
  });

  it('refuses a configuration it cannot make a valid report from, with a clear error', () => {
    assert.throws(() => renderXarf(input({ sourceIp: 'host.example' })), (e: Error) => e instanceof XarfInputError && /not an IP address/.test(e.message));
    assert.throws(() => renderXarf(input({ reporter: { org: 'x', email: 'security@example.net', domain: 'not a domain' } })), /reporter domain is not a host name/);
    assert.throws(() => renderXarf(input({ reporter: { org: 'x', email: 'Security <s@example.net>', domain: 'example.net' } })), /reporter email is not a plain mailbox/);
  });

  it('is rejected by the schema when a required field is missing (the validation can fail)', () => {
    const { report } = renderXarf(input());
    const { Source: _dropped, ...withoutSource } = report;
    assert.equal(validate(withoutSource), false);
    assert.equal(validate({ ...report, 'Source-Type': 'hostname' }), false);
  });
});
