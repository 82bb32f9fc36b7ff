/**
 * `npx tsx scripts/admin-screenshot.ts [docs/admin-page.png]`: the README's picture of the admin
 * page, taken from a real run: wormwatch in block mode with bans in front of a loopback origin,
 * real worm, hunt and storm requests from documentation addresses, then headless Chromium.
 * Nothing leaves the machine (geoip is off: documentation addresses have no network anyway).
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { launchChromium } from '../test/helpers/browser.js';
import { echo, startOrigin } from '../test/helpers/origin.js';
import { send, startApp } from '../test/helpers/app.js';

const out = resolve(process.argv[2] ?? 'docs/admin-page.png');
const origin = await startOrigin({
  fallback: (req, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    if (path === '/.env') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('DB_PASSWORD=s3cret\n');
    if (path === '/') return echo(req, res);
    res.writeHead(404).end('not found');
  },
});
const app = await startApp({ upstream: origin.url, mode: 'block', banTtl: '1h', trustProxy: '127.0.0.1', logLevel: 'silent', geoip: false });
const from = (ip: string): { headers: Record<string, string> } => ({ headers: { 'x-forwarded-for': ip } });
const codered = `/default.ida?${'N'.repeat(224)}%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801%u9090%u9090%u8190%u00c3%u0003%u8b00%u531b%u53ff%u0078%u0000%u00=a`;
await send(app.url, codered, from('198.51.100.7'));
await send(app.url, '/scripts/..%255c../winnt/system32/cmd.exe?/c+dir', from('203.0.113.5'));
await send(app.url, '/.env', from('192.0.2.44'));
for (const p of ['/wp-login.php', '/phpmyadmin/', '/.git/config', '/admin.php', '/backup.zip', '/old/', '/test.php', '/shell.php', '/x.php', '/y.php', '/z.php']) {
  await send(app.url, p, from('198.51.100.23'));
}
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${app.admin}/`);
  mkdirSync(dirname(out), { recursive: true });
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await app.stop();
  await origin.close();
}
