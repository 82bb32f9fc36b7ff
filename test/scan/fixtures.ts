// Verbatim lines from the evaluation corpus (../shared/corpus), one small file per format.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export const CODERED = '172.152.188.242 - - [01/Aug/2004:07:02:57 -0400] "GET /default.ida?XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801%u9090%u9090%u8190%u00c3%u0003%u8b00%u531b%u53ff%u0078%u0000%u00=a HTTP/1.0" 404 283 "-" "-"';

export const COMBINED = [
  '193.254.154.134 - - [10/Oct/2004:04:20:13 -0400] "GET /M83A HTTP/1.0" 404 276 "-" "-"',
  '67.20.147.88 - - [10/Oct/2004:04:56:04 -0400] "GET / HTTP/1.1" 200 2890 "-" "Mozilla/4.0 (compatible; MSIE 5.5; Windows 98)"',
  CODERED,
  '220.117.95.161 - - [10/Oct/2004:08:25:15 -0400] "GET /scripts/root.exe?/c+dir HTTP/1.0" 404 288 "-" "-"',
];

export const NGINX = [
  '128.199.220.236 - - [10/Dec/2024:00:00:02 +0700] "GET /hhh.php HTTP/1.1" 404 187 "-" "Mozlila/5.0 (Linux; Android 7.0; SM-G892A Bulid/NRD90M; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/60.0.3112.107 Moblie Safari/537.36Team Anon Force"',
  '47.254.251.235 - - [10/Dec/2024:17:18:30 +0700] "GET /index.php?s=/index/\\x5Cthink\\x5Capp/invokefunction&function=call_user_func_array&vars[0]=md5&vars[1][]=Hello HTTP/1.1" 404 153 "-" "Custom-AsyncHttpClient"',
  '179.43.163.250 - - [10/Dec/2024:01:10:27 +0700] "\\x16\\x03\\x01\\x00\\xEE\\x01\\x00\\x00\\xEA\\x03\\x03\\xFE\\x01<\\x82V\\xA9" 400 157 "-" "-"',
];

export const COMMON = [
  '1.2.3.4 - - [05/Mar/2021:09:01:38 +0100] "POST /vendor/htmlawed/htmlawed/htmLawedTest.php HTTP/1.0" 200 1513',
  '203.195.146.27 - - [09/Sep/2004:11:38:29 -0400] "GET /scripts/..%255c%255c../winnt/system32/cmd.exe?/c+dir" 404 -',
];

export const W3C = [
  '#Software: Microsoft Internet Information Services 8.5',
  '#Version: 1.0',
  '#Date: 2015-01-13 00:32:17',
  '#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status sc-bytes cs-bytes time-taken',
  '2015-01-13 00:32:17 100.79.192.81 GET /robots.txt - 80 - 157.55.39.146 Mozilla/5.0+(compatible;+bingbot/2.0;++http://www.bing.com/bingbot.htm) - 404 0 2 1405 242 283',
  '2015-01-13 22:29:55 100.79.192.81 GET /cms/ - 80 - 183.60.244.30 Mozilla/5.0+(Macintosh;+Intel+Mac+OS+X+10_9_4)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/36.0.1985.125+Safari/537.36 - 404 0 2 1405 242 361',
];

export const CSV = [
  '"Host","Log Name","Date Time","Time Zone","Method","URL","Response Code","Bytes Sent","Referer","User Agent"',
  '"127.0.0.1","-","2018-04-08 06:49:13","GMT-0700","OPTIONS","*",200,152,"-","Apache/2.2.16 (Ubuntu) (internal dummy connection)"',
  '"207.150.177.129","-","2015-09-23 08:33:45","GMT-0700","GET","/",400,537,"() { :; }; /bin/ping -c 3 82.118.236.247","-"',
  '"78.46.34.77","-","2018-03-19 18:19:42","GMT-0700","GET","/ramble/index.php?blogId=54\\"+AND+1=2+UNION+SELECT+1337--",404,495,"-","-"',
];

/** Lines no format reads (from the corpus's error logs). */
export const GARBAGE = [
  '[Thu Oct 13 12:24:49.880562 2022] [auth_basic:error] [pid 10:tid 140120579262208] [client 31.33.58.75:50229] AH01618: user sss not found: /',
  '2021/09/30 09:23:53 [error] 1925800#1925800: *17 user "foo" was not found in "/tmp/a.htpasswd", client: 127.0.0.1, server: _, request: "GET / HTTP/1.1", host: "localhost"',
];

export interface FixtureDir {
  dir: string;
  write(name: string, lines: string[] | Buffer): string;
  writeGz(name: string, lines: string[]): string;
  remove(): void;
}

export function fixtureDir(): FixtureDir {
  const dir = mkdtempSync(join(tmpdir(), 'wormwatch-scan-'));
  const text = (lines: string[]) => Buffer.from(`${lines.join('\n')}\n`, 'latin1');
  return {
    dir,
    write(name, lines) {
      const path = join(dir, name);
      writeFileSync(path, Buffer.isBuffer(lines) ? lines : text(lines));
      return path;
    },
    writeGz(name, lines) {
      const path = join(dir, name);
      writeFileSync(path, gzipSync(text(lines)));
      return path;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
