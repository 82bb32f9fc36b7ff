import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { launchChromium, watchRequests } from '../helpers/browser.js';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { send, startApp, type TestApp } from '../helpers/app.js';

const TOKEN = 'page-test-token-0123456789abcdef';
const CODERED = `/default.ida?${'N'.repeat(224)}%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801%u9090%u9090%u8190%u00c3%u0003%u8b00%u531b%u53ff%u0078%u0000%u00=a`;
const XSS = '/.env?<script>window.__pwned=1</script><img/src=x/onerror=window.__pwned=2>';

describe('the admin page, in a real browser (Chromium headless)', function () {
  this.timeout(60_000);
  let browser: Browser;
  let origin: Origin;
  let app: TestApp;
  before(async () => {
    browser = await launchChromium();
    origin = await startOrigin();
    app = await startApp({ upstream: origin.url, mode: 'block', banTtl: '1h', trustProxy: '127.0.0.1', adminToken: TOKEN });
    assert.equal((await send(app.url, CODERED, { headers: { 'x-forwarded-for': '198.51.100.7' } })).status, 403);
    await send(app.url, XSS, { headers: { 'x-forwarded-for': '203.0.113.66' } });
  });
  after(async () => {
    await browser?.close();
    await app?.stop();
    await origin?.close();
  });

  it('asks for the token, keeps it in an HttpOnly SameSite=Strict cookie, and shows the offender a real CodeRed request made', async () => {
    const context = await browser.newContext();
    const seen = watchRequests(context);
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (m) => void (/Content Security Policy|Refused to/.test(m.text()) && violations.push(m.text())));
    const first = await page.goto(`${app.admin}/`);
    assert.equal(first?.status(), 401);
    await page.fill('input[name=token]', 'not-the-token-at-all');
    await page.click('button');
    assert.match(await page.textContent('body') ?? '', /not the admin token/);
    await page.fill('input[name=token]', TOKEN);
    await Promise.all([page.waitForURL(`${app.admin}/`), page.click('button')]);
    const cookie = (await context.cookies()).find((c) => c.name === 'wormwatch_session');
    assert.ok(cookie, 'a session cookie');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.notEqual(cookie.value, TOKEN, 'the cookie does not carry the token itself');
    const row = page.locator('#offenders tr', { hasText: '198.51.100.7' });
    assert.equal(await row.count(), 1);
    assert.match(await row.textContent() ?? '', /codered-i/);
    assert.equal(await page.locator('#chart rect.detections[data-family="codered"]').count(), 1, 'the chart has a point for it');
    assert.deepEqual(violations, [], 'the page\'s own style and script pass its Content-Security-Policy');
    assert.deepEqual(seen.offLoopback(), [], 'the page asked for nothing off the machine');
    await context.close();
  });

  it('shows a request sample holding <script> as text, never as markup', async () => {
    const context = await browser.newContext({ extraHTTPHeaders: { authorization: `Bearer ${TOKEN}` } });
    const page = await context.newPage();
    await page.goto(`${app.admin}/`);
    const row = page.locator('#offenders tr', { hasText: '203.0.113.66' });
    assert.match(await row.textContent() ?? '', /<script>window\.__pwned=1<\/script>/);
    assert.equal(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned), undefined);
    assert.equal(await page.locator('#offenders script, #offenders img').count(), 0);
    await context.close();
  });

  it('lifts a ban with its unban button, with JavaScript off too', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, extraHTTPHeaders: { authorization: `Bearer ${TOKEN}` } });
    const page = await context.newPage();
    await page.goto(`${app.admin}/`);
    assert.equal((await send(app.url, '/', { headers: { 'x-forwarded-for': '198.51.100.7' } })).status, 403, 'banned before');
    const ban = page.locator('#bans tr', { hasText: '198.51.100.7' });
    assert.equal(await ban.count(), 1);
    await Promise.all([page.waitForURL(`${app.admin}/`), ban.locator('button').click()]);
    assert.equal(await page.locator('#bans tr', { hasText: '198.51.100.7' }).count(), 0, 'gone from the page');
    assert.equal((await send(app.url, '/', { headers: { 'x-forwarded-for': '198.51.100.7' } })).status, 200, 'and from the proxy');
    await context.close();
  });

  it('refuses the unban form without the token, and from another site\'s page', async () => {
    const form = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'ip=198.51.100.7' };
    assert.equal((await send(app.admin, '/ui/unban', form)).status, 401);
    const crossSite = { ...form, headers: { ...form.headers, authorization: `Bearer ${TOKEN}`, origin: 'http://evil.example' } };
    assert.equal((await send(app.admin, '/ui/unban', crossSite)).status, 403);
    // Same site is not enough: a page the proxy serves from the origin (another port of this host) is same-site.
    const sameSite = { ...form, headers: { ...form.headers, authorization: `Bearer ${TOKEN}`, 'sec-fetch-site': 'same-site' } };
    assert.equal((await send(app.admin, '/ui/unban', sameSite)).status, 403);
  });
});
