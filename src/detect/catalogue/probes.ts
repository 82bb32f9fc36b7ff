import type { Signature } from '../types.js';

const SCANNERS = 'scanners-2024 corpus (nginx access.log, Dec 2024)';
const SMALLSITE = 'smallsite-2015-2018 corpus';

const PROBE_FIX =
  'The sending host is an automated scanner, usually a compromised server or a rented machine working for a botnet; one such request alone proves nothing, but it was looking for a weakness. ' +
  'On your side: make sure such files are never served from the web root.';

const STAGE_404 = 'Where the file exists this is ordinary use of the site; only a request for a missing one is a hunt.';

const BENIGN = [{ request: 'GET /about/team.html HTTP/1.1' }, { request: 'GET /assets/environment-badge.svg HTTP/1.1' }];

const WEBSHELL_NAMES = [
  'wso', 'wsoshell', 'c99', 'c100', 'r57', 'b374k', 'alfa', 'alfashell', 'alfa-rex', 'xleet', 'indoxploit', 'priv8',
  'webshell', 'shell', 'sh3ll', 'cmd', 'bypass', 'minishell', 'leafmailer', 'marijuana', 'wp-god', 'zec', 'china-chopper',
];

export const probes: Signature[] = [
  {
    id: 'probe-dotenv', family: 'scanner', title: 'Hunt for a .env secrets file',
    description:
      'A request for /.env (or .env.local, .env.production...). Frameworks such as Laravel, Symfony and Node apps keep database passwords and API keys in that file; bots ask every site for it hoping it is served by mistake. ' + PROBE_FIX,
    references: ['CrowdSec crowdsecurity/http-sensitive-files', 'OWASP CRS 930130'],
    stage: '404', stageReason: STAGE_404,
    match: { target: 'path', pattern: '/\\.env(?:$|\\.[a-z0-9_-]+$)', literals: ['.env'] },
    examples: {
      positive: [{ request: 'GET /.env HTTP/1.1', source: SCANNERS }, { request: 'GET /api/.env.production HTTP/1.1' }],
      negative: [{ request: 'GET /docs/env-vars.html HTTP/1.1' }, ...BENIGN],
    },
  },
  {
    id: 'probe-git', family: 'scanner', title: 'Hunt for an exposed .git folder',
    description:
      'A request for /.git/config or /.git/HEAD. A site deployed by copying a git checkout may expose its whole source history, including passwords committed by mistake; bots check every site for it. ' + PROBE_FIX,
    references: ['CrowdSec crowdsecurity/http-sensitive-files', 'OWASP CRS 930130'],
    stage: '404', stageReason: STAGE_404,
    match: { target: 'path', pattern: '/\\.git/(?:config|head|index|logs/head)$', literals: ['.git/'] },
    examples: {
      positive: [{ request: 'GET /.git/config HTTP/1.1', source: SMALLSITE }, { request: 'GET /admin/.git/config HTTP/1.1', source: SCANNERS }, { request: 'GET /.git/HEAD HTTP/1.1', source: SCANNERS }],
      negative: [{ request: 'GET /docs/git/config.html HTTP/1.1' }, ...BENIGN],
    },
  },
  {
    id: 'probe-wordpress', family: 'scanner', title: 'WordPress login and XML-RPC probe',
    description:
      'A request for /wp-login.php, /xmlrpc.php or wlwmanifest.xml: bots look for WordPress sites to guess passwords against and to find outdated plugins. ' + PROBE_FIX,
    references: ['CrowdSec crowdsecurity/http-wordpress-scan', 'CrowdSec crowdsecurity/http-bf-wordpress_bf'],
    stage: '404', stageReason: 'On a WordPress site these are ordinary pages.',
    match: { target: 'path', pattern: '/(?:wp-login\\.php|xmlrpc\\.php|wp-includes/wlwmanifest\\.xml)$', literals: ['wp-login.php', 'xmlrpc.php', 'wlwmanifest.xml'] },
    examples: {
      positive: [{ request: 'GET /wp-login.php HTTP/1.1', source: SMALLSITE }, { request: 'GET /blog/wp-includes/wlwmanifest.xml HTTP/1.1', source: SCANNERS }],
      negative: [{ request: 'GET /login.php HTTP/1.1' }, ...BENIGN],
    },
  },
  {
    id: 'probe-phpmyadmin', family: 'scanner', title: 'phpMyAdmin hunt',
    description:
      'A request for /phpmyadmin/, /pma/, /myadmin/ or phpMyAdmin\'s setup script. Bots such as ZmEu look for forgotten phpMyAdmin installations to guess database passwords or use old holes (setup.php, CVE-2009-1151). ' + PROBE_FIX,
    references: ['CVE-2009-1151', 'CrowdSec crowdsecurity/http-probing'],
    stage: '404', stageReason: 'Where phpMyAdmin is installed these are its own pages.',
    match: { target: 'path', pattern: '/(?:phpmyadmin[a-z0-9._-]*|php-my-admin|myadmin|pma|mysqladmin|sqladmin)(?:/|$)', literals: ['phpmyadmin', 'php-my-admin', 'myadmin', 'pma', 'sqladmin'] },
    examples: {
      positive: [
        { request: 'GET //phpMyAdmin/scripts/setup.php HTTP/1.1', source: SMALLSITE },
        { request: 'GET //phpMyAdmin-2.5.6-rc1/index.php HTTP/1.1', source: SMALLSITE },
        { request: 'HEAD http://192.0.2.10:80/phpmyadmin/ HTTP/1.1', source: SMALLSITE },
        { request: 'GET /pma/ HTTP/1.1' },
      ],
      negative: [{ request: 'GET /pmarket/offers HTTP/1.1' }, ...BENIGN],
    },
  },
  {
    id: 'probe-webshell', family: 'scanner', title: 'Hunt for a web shell left by another intruder',
    description:
      'A request for a well-known web shell name (wso.php, c99.php, r57.php, alfa.php, xleet.php, shell.php...). Bots look for back doors that earlier intruders left on hacked sites, to take them over. ' + PROBE_FIX +
      ' If such a file does exist on your site, your site has been broken into: restore it from a clean copy and change every password.',
    references: ['CrowdSec crowdsecurity/http-backdoors-attempts'],
    stage: '404', stageReason: 'A file of that name may be legitimate on some site; the hunt shows in the misses.',
    match: {
      target: 'path',
      pattern: `/(?:${WEBSHELL_NAMES.join('|')})[0-9]?\\.(?:php[0-9]?|phtml|asp|aspx|jsp)$`,
      literals: WEBSHELL_NAMES,
    },
    examples: {
      positive: [{ request: 'GET /wso.php HTTP/1.1', source: SCANNERS }, { request: 'GET /xleet.php HTTP/1.1', source: SCANNERS }, { request: 'GET /wp-content/uploads/c99.php HTTP/1.1' }],
      negative: [{ request: 'GET /shellfish-recipes.php HTTP/1.1' }, ...BENIGN],
    },
  },
  {
    id: 'probe-xdebug', family: 'scanner', title: 'Xdebug session probe',
    description:
      'A request with XDEBUG_SESSION_START in the query: it asks a PHP server with the Xdebug debugger to connect back to the sender, which on a misconfigured server lets the sender run code. ' + PROBE_FIX + ' Never enable Xdebug remote debugging on a public server.',
    references: ['CrowdSec crowdsecurity/http-probing', 'Xdebug documentation: xdebug.remote_connect_back'],
    stage: '404', stageReason: 'Developers use the parameter on their own servers; only a miss marks a probe.',
    match: { target: 'query', pattern: '(?:^|&)xdebug_session_start=', literals: ['xdebug_session_start='] },
    examples: {
      positive: [{ request: 'GET /index.php?XDEBUG_SESSION_START=phpstorm HTTP/1.1', source: SCANNERS }],
      negative: [{ request: 'GET /docs/xdebug-session-start.html HTTP/1.1' }, ...BENIGN],
    },
  },
];
