import { renderChart } from './chart.js';
import { escapeHtml as e, span, table, when } from './html.js';
import type { PageData } from './page-data.js';

/** Offenders and bans listed on the page. */
export const PAGE_ROWS = 50;

/** The page's style and script, fixed text: the Content-Security-Policy allows exactly these by hash. */
export const PAGE_STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:0 16px;color:#222}
header{display:flex;gap:16px;align-items:baseline;flex-wrap:wrap;border-bottom:1px solid #ddd}h1{font-size:20px}h2{font-size:16px;margin-top:24px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:3px 6px;border-bottom:1px solid #eee;vertical-align:top}
td code{font-size:12px;word-break:break-all}td:first-child code{white-space:nowrap;word-break:normal}.empty{color:#777}.bad{color:#b00020;font-weight:600}.legend span{margin-right:12px}
.swatch{display:inline-block;width:10px;height:10px;margin-right:4px}svg{width:100%;height:auto;max-height:200px}
form{display:inline}button{font:inherit;padding:1px 8px}`;

/** Refreshes the page's main part every 15 s, without a reload; the page works without it. */
export const PAGE_SCRIPT = `setInterval(async()=>{try{const r=await fetch('/',{headers:{'x-wormwatch-part':'main'},credentials:'same-origin'});if(!r.ok)return;const d=new DOMParser().parseFromString(await r.text(),'text/html');const m=d.querySelector('main');if(m)document.querySelector('main').replaceWith(m)}catch(_){}},15000);`;

function shell(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${e(title)}</title><style>${PAGE_STYLE}</style></head><body>${body}<script>${PAGE_SCRIPT}</script></body></html>\n`;
}

/** The login form shown to a caller without the token (or a session). */
export function renderLogin(failed: boolean): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>wormwatch: sign in</title><style>${PAGE_STYLE}</style></head><body><h1>wormwatch</h1>`
    + `${failed ? '<p class="bad">That is not the admin token.</p>' : ''}`
    + '<form method="post" action="/login"><label>Admin token <input type="password" name="token" autocomplete="current-password" required></label> <button>Sign in</button></form>'
    + '<p class="empty">The token is kept as an HttpOnly cookie for 12 hours.</p></body></html>\n';
}

/** The whole page, or only its `<main>` (for the refresh). */
export function renderPage(data: PageData, opts: { signedIn: boolean; now: Date; part?: 'main' }): string {
  const main = `<main>${chart(data)}${offenders(data)}${bans(data, opts.now)}${exposures(data)}${notices(data)}</main>`;
  if (opts.part === 'main') return main;
  const s = data.summary();
  const header = `<header><h1>wormwatch</h1><span>v${e(s.version)}</span><span>mode <b>${e(s.mode)}</b></span><span>upstream ${e(s.upstream)}</span>`
    + `<span>${e(s.signatures)} signatures</span><span>bans ${s.bans ? 'on' : 'off'}</span><span>up since ${e(when(s.startedAt))}</span>`
    + `${opts.signedIn ? '<form method="post" action="/logout"><button>Sign out</button></form>' : ''}</header>`;
  return shell('wormwatch', header + main);
}

function chart(data: PageData): string {
  const { svg, legend } = renderChart(data.timeline());
  // Swatch colours as SVG attributes: a style attribute would need 'unsafe-inline'.
  const keys = legend.map((l) => `<span><svg class="swatch" viewBox="0 0 10 10"><rect width="10" height="10" fill="${e(l.colour)}"/></svg>${e(l.family)} ${e(l.count)}</span>`).join('');
  return `<h2>Last hour</h2><figure id="chart">${svg}<figcaption class="legend">${keys || '<span class="empty">no detections in the last hour</span>'}</figcaption></figure>`;
}

function offenders(data: PageData): string {
  const rows = data.offenders(PAGE_ROWS).map((o) => [
    `<code>${e(o.ip)}</code>`,
    e(o.hostname ?? '–'),
    e(o.network ?? '–'),
    e(o.country ?? '–'),
    Object.entries(o.signatures).map(([id, n]) => `${e(id)}&nbsp;×${e(n)}`).join('<br>'),
    e(o.hits),
    e(when(o.firstSeen)),
    e(when(o.lastSeen)),
    o.samples.map((l) => `<code>${e(l)}</code>`).join('<br>'),
    o.bannedForMs > 0 ? `banned ${e(span(o.bannedForMs))} ${unban(o.ip)}` : '–',
  ]);
  return `<h2>Offenders</h2>${table('offenders', ['address', 'host', 'network', 'country', 'signatures', 'hits', 'first seen', 'last seen', 'requests', 'ban'], rows, 'no offenders remembered')}`;
}

function bans(data: PageData, now: Date): string {
  const rows = data.bans(PAGE_ROWS).map((b) => [
    `<code>${e(b.ip)}</code>`, e(b.reason), e(b.signature ?? '–'), e(b.count),
    e(b.until === null ? 'until lifted' : `${span(b.until.getTime() - now.getTime())} (${when(b.until)})`), unban(b.ip),
  ]);
  return `<h2>Bans</h2>${table('bans', ['address', 'reason', 'signature', 'in a row', 'left', ''], rows, 'no bans in force')}`;
}

function exposures(data: PageData): string {
  const blocked = new Set(data.blockedPaths());
  const rows = data.exposures().map((x) => [
    `<code class="bad">${e(x.path)}</code>`, e(x.signature), e(x.status), e(x.hits),
    x.sources.map((a) => `<code>${e(a)}</code>`).join(' ') + (x.moreSources > 0 ? ` +${e(x.moreSources)}` : ''),
    e(when(x.lastSeen)), blocked.has(x.path) ? 'blocked' : '–',
  ]);
  return `<h2>Exposures</h2>${table('exposures', ['path served', 'signature', 'status', 'hits', 'to', 'last', 'block'], rows, 'no secret served since start')}`;
}

function notices(data: PageData): string {
  const n = data.notices();
  if (n === null) return '<h2>Notices</h2><p class="empty" id="notices">notices are off</p>';
  const rows = Object.entries(n.counts).map(([state, count]) => [e(state), e(count)]);
  return `<h2>Notices</h2>${table('notices', ['state', 'notices'], rows, 'the outbox is empty')}<p>next retry: ${e(when(n.nextRetryAt))}</p>`;
}

function unban(ip: string): string {
  return `<form method="post" action="/ui/unban"><input type="hidden" name="ip" value="${e(ip)}"><button>unban</button></form>`;
}
