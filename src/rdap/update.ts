import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BootstrapError, validateBootstrapFile, type BootstrapFile } from './bootstrap.js';
import { boundedGet } from './http.js';

/** IANA's files are ~6 KB; anything this large is not one. */
const MAX_BOOTSTRAP_BYTES = 2 * 1024 * 1024;

export interface UpdateBootstrapOptions {
  /** Base URL of the registry, e.g. `https://data.iana.org/rdap/` (a loopback server in tests). */
  from: string;
  /** Directory to write `ipv4.json` and `ipv6.json` into (created if missing). */
  to: string;
  timeoutMs?: number;
  userAgent?: string;
}

export interface UpdatedFile {
  path: string;
  publication: string;
  services: number;
  prefixes: number;
}

/**
 * Fetches `ipv4.json` and `ipv6.json`, validates both (RFC 9224 shape, right family), and only
 * then writes each beside its target and renames it into place, so a failed or partial download
 * never replaces a good file. Throws a BootstrapError saying what went wrong.
 */
export async function updateBootstrap(o: UpdateBootstrapOptions): Promise<{ ipv4: UpdatedFile; ipv6: UpdatedFile }> {
  const base = o.from.endsWith('/') ? o.from : `${o.from}/`;
  const [v4, v6] = await Promise.all([fetchFile(base, 'ipv4.json', 4, o), fetchFile(base, 'ipv6.json', 6, o)]);
  await mkdir(o.to, { recursive: true });
  const ipv4 = await writeAtomically(o.to, 'ipv4.json', v4);
  const ipv6 = await writeAtomically(o.to, 'ipv6.json', v6);
  return { ipv4, ipv6 };
}

async function fetchFile(base: string, name: string, family: 4 | 6, o: UpdateBootstrapOptions): Promise<{ text: string; file: BootstrapFile }> {
  const url = new URL(name, base).toString();
  const res = await boundedGet(url, { timeoutMs: o.timeoutMs ?? 30_000, maxBytes: MAX_BOOTSTRAP_BYTES, userAgent: o.userAgent ?? 'wormwatch (rdap update-bootstrap)' });
  if (res.kind === 'timeout') throw new BootstrapError(`${url} did not answer in time`);
  if (res.kind === 'too-large') throw new BootstrapError(`${url} is larger than ${MAX_BOOTSTRAP_BYTES} bytes`);
  if (res.kind === 'network') throw new BootstrapError(`cannot fetch ${url} (${res.message})`);
  if (res.status !== 200) throw new BootstrapError(`${url} answered HTTP ${res.status}`);
  let json: unknown;
  try {
    json = JSON.parse(res.body);
  } catch {
    throw new BootstrapError(`${url} is not valid JSON`);
  }
  return { text: res.body, file: validateBootstrapFile(json, family, url) };
}

async function writeAtomically(dir: string, name: string, got: { text: string; file: BootstrapFile }): Promise<UpdatedFile> {
  const path = join(dir, name);
  // Same directory, so the rename is atomic on one filesystem.
  const tmp = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, got.text, { flag: 'wx' });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new BootstrapError(`cannot write ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return { path, publication: got.file.publication, services: got.file.services.length, prefixes: got.file.services.reduce((n, s) => n + s[0].length, 0) };
}
