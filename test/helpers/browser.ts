/**
 * Debian's Chromium, headless, driven by playwright-core (no browser download). Every request
 * the browser would send anywhere but loopback goes to a dead proxy (port 9 on loopback), so a
 * page, or Chromium's own background traffic, can never reach the network; `offLoopback` lists
 * what the page itself asked for elsewhere, for the test to assert it is empty.
 */
import { requireTool } from './system.js';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  requireTool('chromium', CHROMIUM);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      // CI runs as root, where Chromium's sandbox cannot start.
      '--no-sandbox',
      '--proxy-server=http://127.0.0.1:9', '--proxy-bypass-list=127.0.0.1;localhost',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
      '--disable-domain-reliability', '--disable-breakpad', '--metrics-recording-only',
    ],
  });
}

/** Records every request of the context that is not to 127.0.0.1. */
export function watchRequests(context: BrowserContext): { all: string[]; offLoopback: () => string[] } {
  const all: string[] = [];
  context.on('request', (r) => void all.push(r.url()));
  return { all, offLoopback: () => all.filter((u) => !/^(?:https?|ws):\/\/127\.0\.0\.1(?::\d+)?\//.test(u) && !u.startsWith('data:')) };
}
