import assert from 'node:assert/strict';
import { parseClfLine } from '../../src/scan/formats/clf.js';
import { compileNginxFormat, NGINX_FORMAT_LIMITS, readLogFormat, unescapeNginx } from '../../src/scan/formats/nginx-format.js';

/** nginx's own combined format plus the forwarded-for header, as the issue and most distributions write it. */
const WITH_XFF = `'$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for"'`;

const JSON_DIRECTIVE = `log_format json_combined escape=json
  '{'
    '"time_local":"$time_local",'
    '"remote_addr":"$remote_addr",'
    '"request":"$request",'
    '"status": $status,'
    '"body_bytes_sent":$body_bytes_sent,'
    '"request_time":$request_time,'
    '"http_referrer":"$http_referer",'
    '"http_user_agent":"$http_user_agent",'
    '"http_cf_connecting_ip":"$http_cf_connecting_ip"'
  '}';`;

describe('scan/formats/nginx-format: log_format strings', () => {
  it('reads a combined line with X-Forwarded-For into the same record clf.ts makes, plus every field', () => {
    const parser = compileNginxFormat(WITH_XFF);
    const line = '179.43.163.250 - - [10/Dec/2024:00:12:36 +0700] "GET /.env HTTP/1.1" 404 153 "-" "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36" "203.0.113.7, 10.0.0.2"';
    const record = parser.parseRecord(line);
    assert.ok(record && record !== 'skip');
    const { fields, ...core } = record;
    assert.deepEqual(core, parseClfLine(line));
    assert.equal(core.ip, '179.43.163.250');
    assert.equal(core.at?.toISOString(), '2024-12-09T17:12:36.000Z');
    assert.equal(fields.http_x_forwarded_for, '203.0.113.7, 10.0.0.2');
    assert.equal(fields.body_bytes_sent, '153');
    assert.deepEqual(parser.variables, ['remote_addr', 'remote_user', 'time_local', 'request', 'status', 'body_bytes_sent', 'http_referer', 'http_user_agent', 'http_x_forwarded_for']);
  });

  it('keeps a named field as the forwarded value and the peer as the address: whom to believe is the caller\'s decision', () => {
    const viaXff = compileNginxFormat(WITH_XFF, { clientField: 'X-Forwarded-For' });
    const base = '10.0.0.5 - - [10/Dec/2024:05:44:02 +0700] "GET / HTTP/1.1" 200 612 "-" "curl/8.5.0"';
    const a = viaXff.parseRecord(`${base} "203.0.113.7, 10.0.0.2"`);
    assert.ok(a && a !== 'skip');
    assert.deepEqual([a.ip, a.forwarded], ['10.0.0.5', '203.0.113.7, 10.0.0.2']);
    const b = viaXff.parseRecord(`${base} "-"`);
    assert.ok(b && b !== 'skip');
    assert.deepEqual([b.ip, b.forwarded], ['10.0.0.5', '-']);
    const byVariable = compileNginxFormat(WITH_XFF, { clientField: '$http_x_forwarded_for' }).parseRecord(`${base} "198.51.100.4"`);
    assert.ok(byVariable && byVariable !== 'skip');
    assert.equal(byVariable.forwarded, '198.51.100.4');
    const unasked = compileNginxFormat(WITH_XFF).parseRecord(`${base} "198.51.100.4"`);
    assert.ok(unasked && unasked !== 'skip');
    assert.equal(unasked.forwarded, undefined, 'no field asked for: none kept');
    assert.throws(() => compileNginxFormat(WITH_XFF, { clientField: 'CF-Connecting-IP' }), /log_format has no \$http_cf_connecting_ip \(its variables: \$remote_addr .*\$http_x_forwarded_for\)/);
  });

  it('undoes nginx\'s default \\xHH escaping: TLS bytes, backslashes and quotes come back as sent', () => {
    const parser = compileNginxFormat(WITH_XFF);
    const tls = parser.parseRecord('70.39.75.140 - - [10/Dec/2024:03:20:03 +0700] "\\x16\\x03\\x01\\x00{\\x01\\x00\\x00w\\x03\\x03" 400 157 "-" "-" "-"');
    assert.ok(tls && tls !== 'skip');
    assert.equal(tls.method, '');
    assert.equal(tls.target, '\x16\x03\x01\x00{\x01\x00\x00w\x03\x03');
    assert.equal(tls.status, 400);
    assert.equal(tls.userAgent, undefined);
    const iis = parser.parseRecord('198.51.100.9 - - [10/Dec/2024:03:20:03 +0700] "GET /scripts/..\\x5C..\\x5Cwinnt/system32/cmd.exe?/c+dir HTTP/1.0" 404 153 "-" "say \\x22hi\\x22" "-"');
    assert.ok(iis && iis !== 'skip');
    assert.equal(iis.target, '/scripts/..\\..\\winnt/system32/cmd.exe?/c+dir');
    assert.equal(iis.userAgent, 'say "hi"');
  });

  it('reads an escape=json directive of several strings, with unquoted numbers and JSON escapes', () => {
    const parser = compileNginxFormat(JSON_DIRECTIVE, { clientField: 'http_cf_connecting_ip' });
    const line = '{"time_local":"10/Dec/2024:00:12:36 +0000","remote_addr":"172.70.1.10","request":"GET /?q=\\"x\\" HTTP/1.1","status": 404,"body_bytes_sent":153,"request_time":0.002,"http_referrer":"","http_user_agent":"Mozilla/5.0 \\u0001bot","http_cf_connecting_ip":"2001:db8::7"}';
    const record = parser.parseRecord(line);
    assert.ok(record && record !== 'skip');
    assert.equal(record.ip, '172.70.1.10', 'the peer: the Cloudflare edge');
    assert.equal(record.forwarded, '2001:db8::7');
    assert.equal(record.method, 'GET');
    assert.equal(record.target, '/?q="x"');
    assert.equal(record.status, 404);
    assert.equal(record.userAgent, 'Mozilla/5.0 \x01bot');
    assert.equal(record.referer, undefined);
    assert.equal(record.fields.request_time, '0.002');
  });

  it('builds the request from $request_method and $request_uri, and the time from $time_iso8601 or $msec', () => {
    const iso = compileNginxFormat('$remote_addr [$time_iso8601] $request_method $request_uri $status');
    const a = iso.parseRecord('192.0.2.1 [2024-12-10T05:44:02+07:00] POST /boaform/admin/formLogin 404');
    assert.ok(a && a !== 'skip');
    assert.deepEqual([a.method, a.target, a.status, a.at?.toISOString()], ['POST', '/boaform/admin/formLogin', 404, '2024-12-09T22:44:02.000Z']);
    const msec = compileNginxFormat('$msec $remote_addr "$request" $status');
    const b = msec.parseRecord('1733783442.123 192.0.2.1 "GET /HNAP1/ HTTP/1.1" 405');
    assert.ok(b && b !== 'skip');
    assert.equal(b.at?.toISOString(), '2024-12-09T22:30:42.123Z');
  });

  it('reads upstream timing lists and ${var} spellings', () => {
    const parser = compileNginxFormat('${remote_addr} "$request" $status $upstream_response_time $request_time');
    const r = parser.parseRecord('192.0.2.1 "GET / HTTP/1.1" 502 0.004, 0.010 : 0.001 0.020');
    assert.ok(r && r !== 'skip');
    assert.equal(r.fields.upstream_response_time, '0.004, 0.010 : 0.001');
    assert.equal(r.fields.request_time, '0.020');
  });

  it('says skip for a blank line and null for a line of another format, without throwing', () => {
    const parser = compileNginxFormat(WITH_XFF);
    assert.equal(parser.parse('   '), 'skip');
    assert.equal(parser.parse('2021/09/30 09:23:53 [error] 1925800#1925800: *17 user "foo" was not found'), null);
    assert.equal(parser.parse('- - - [10/Dec/2024:00:12:36 +0700] "GET / HTTP/1.1" 200 1 "-" "-" "-"'), null, 'no client address');
    const json = compileNginxFormat(JSON_DIRECTIVE);
    assert.equal(json.parse(`{"time_local":"${','.repeat(60_000)}`), null, 'a hostile line is simply not a record');
  });

  it('refuses formats it cannot use, with the reason', () => {
    assert.throws(() => compileNginxFormat('plain text'), /no \$variable/);
    assert.throws(() => compileNginxFormat("log_format x escape=xml '$remote_addr';"), /escape=xml/);
    assert.throws(() => compileNginxFormat("log_format x '$remote_addr' trailing;"), /unexpected text/);
    assert.throws(() => compileNginxFormat(Array.from({ length: NGINX_FORMAT_LIMITS.variables + 1 }, (_, i) => `$v${i}`).join(' ')), /more than 64 variables/);
  });

  it('reads the directive\'s strings and escape the way nginx concatenates them', () => {
    assert.deepEqual(readLogFormat(`log_format main '$remote_addr - '\n  '"$request" \\'q\\'';`), { format: `$remote_addr - "$request" 'q'`, escape: 'default' });
    assert.deepEqual(readLogFormat('"$remote_addr $status"'), { format: '$remote_addr $status', escape: 'default' });
    assert.equal(unescapeNginx('a\\x22b', 'none'), 'a\\x22b');
  });
});
