/**
 * The request mixes wrk sends. Benign requests look like a browser's; worm requests are real
 * probe shapes (CodeRed, Nimda, Log4Shell, scanners). The origin answers 1 KiB for `/1k…` paths
 * and 404 for everything else, so 404-stage signatures are exercised as in the wild.
 */

export interface BenchRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
}

const BROWSER: Record<string, string> = {
  'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  Accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'Accept-Language': 'en-GB,en;q=0.5',
};

export const benignRequests: readonly BenchRequest[] = [
  { method: 'GET', path: '/1k', headers: BROWSER },
  { method: 'GET', path: '/1k/products/widget-42?colour=blue&size=m', headers: BROWSER },
  { method: 'GET', path: '/1k/search?q=garden+chairs&page=2', headers: BROWSER },
  { method: 'GET', path: '/1k/static/app.3f9c2.js', headers: { ...BROWSER, Accept: '*/*' } },
  { method: 'GET', path: '/1k/api/v1/orders/1234/items', headers: { ...BROWSER, Accept: 'application/json' } },
];

/** Payload addresses are loopback: nothing ever contacts them, but keep even the text harmless. */
export const wormRequests: readonly BenchRequest[] = [
  { method: 'GET', path: `/default.ida?${'N'.repeat(224)}%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801%u9090%u9090%u8190%u00c3%u0003%u8b00%u531b%u53ff%u0078%u0000%u00=a`, headers: {} },
  { method: 'GET', path: '/scripts/..%c0%af../winnt/system32/cmd.exe?/c+dir', headers: {} },
  { method: 'GET', path: '/1k', headers: { ...BROWSER, 'User-Agent': '${jndi:ldap://127.0.0.1:1389/a}' } },
  { method: 'GET', path: '/wp-login.php', headers: { 'User-Agent': 'Mozilla/5.0' } },
  { method: 'GET', path: '/.env', headers: { 'User-Agent': 'Mozilla/5.0' } },
  { method: 'GET', path: '/cgi-bin/.%2e/.%2e/.%2e/.%2e/bin/sh', headers: {} },
];

/**
 * Blocks of `blockSize` requests, each with one worm request at a rotating position-free slot
 * (the last) and benign requests cycling before it: a `1 / blockSize` worm share.
 */
export function wormMix(blockSize = 100): BenchRequest[] {
  const out: BenchRequest[] = [];
  wormRequests.forEach((worm, block) => {
    for (let i = 0; i < blockSize - 1; i++) {
      out.push(benignRequests[(block * (blockSize - 1) + i) % benignRequests.length] as BenchRequest);
    }
    out.push(worm);
  });
  return out;
}
