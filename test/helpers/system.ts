/**
 * The Debian packages the full suite drives for real (nginx with njs, Prometheus's promtool,
 * wrk, Redis, Chromium). A test that needs one and does not find it fails with one line naming
 * the package and the command that installs it, not a stack trace (`.ci/run` installs them all).
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export const PACKAGES = {
  nginx: { what: 'nginx', install: 'apt-get install -y nginx-light libnginx-mod-http-js' },
  njs: { what: 'the nginx njs module', install: 'apt-get install -y libnginx-mod-http-js' },
  promtool: { what: "Prometheus's promtool", install: 'apt-get install -y prometheus' },
  prometheus: { what: 'Prometheus', install: 'apt-get install -y prometheus' },
  wrk: { what: 'wrk', install: 'apt-get install -y wrk' },
  'redis-server': { what: 'Redis', install: 'apt-get install -y redis-server' },
  chromium: { what: 'Chromium', install: 'apt-get install -y chromium' },
  openssl: { what: 'openssl', install: 'apt-get install -y openssl' },
} as const;

export type Tool = keyof typeof PACKAGES;

/** An error whose whole report is its message: mocha prints the stack, and this one has none. */
export class MissingPackageError extends Error {
  constructor(tool: Tool, looked: string) {
    const p = PACKAGES[tool];
    super(`this test needs ${p.what} (${looked} not found): ${p.install}`);
    this.name = 'MissingPackage';
    this.stack = `${this.name}: ${this.message}`;
  }
}

/** The program's path (a path as given, or found on PATH); throws MissingPackageError when absent. */
export function requireTool(tool: Tool, program: string = tool): string {
  const candidates = program.includes('/') ? [program] : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, program));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  throw new MissingPackageError(tool, program);
}

/** A file a package installs (a module); throws MissingPackageError when absent. */
export function requireFile(tool: Tool, path: string): string {
  try {
    accessSync(path, constants.R_OK);
    return path;
  } catch {
    throw new MissingPackageError(tool, path);
  }
}

/** The tool behind a program name, when it is one of the packages' (for spawn helpers). */
export function toolOf(cmd: string): Tool | undefined {
  const base = cmd.split('/').pop() ?? cmd;
  return base in PACKAGES ? (base as Tool) : undefined;
}
