import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Options } from '../config/options.js';
import { ConfigError } from '../errors.js';
import { isLoopbackAddress } from './guard.js';

/** Shorter tokens are refused: the admin port may face a whole pod network. */
export const TOKEN_MIN_LENGTH = 16;

export interface AdminToken {
  /** The token in force, or undefined when the admin port is open to loopback callers only. */
  current(): string | undefined;
  /** Reads `--admin-token-file` again (SIGHUP, `POST /reload`); a bad file keeps the old token. */
  reload(): void;
}

type TokenOptions = Pick<Options, 'adminToken' | 'adminTokenFile' | 'adminListen'>;

/**
 * The admin token from `--admin-token` or `--admin-token-file` (a Kubernetes Secret mounted as a
 * file, re-read on reload so it can be rotated). Throws a one-line ConfigError when the admin
 * port would face the network without a token, or the token is unusable.
 */
export function adminToken(options: TokenOptions, logger?: Logger): AdminToken {
  checkAdminExposure(options);
  let token = readAdminToken(options);
  return {
    current: () => token,
    reload() {
      if (options.adminTokenFile === undefined) return;
      try {
        token = readAdminToken(options);
      } catch (err) {
        logger?.error({ err: (err as Error).message }, 'admin token file unusable; keeping the token already in force');
      }
    },
  };
}

/** An admin server on anything but loopback needs a token: it serves offenders, notices and reloads. */
export function checkAdminExposure(options: TokenOptions): void {
  const host = options.adminListen.host;
  const loopback = host === 'localhost' || isLoopbackAddress(host);
  if (!loopback && options.adminToken === undefined && options.adminTokenFile === undefined) {
    throw new ConfigError(`--admin-listen ${host}:${options.adminListen.port} is reachable from the network without a key: set --admin-token-file FILE (or WORMWATCH_ADMIN_TOKEN), or listen on 127.0.0.1 and scrape --metrics-listen`);
  }
}

/**
 * The token `--admin-token` or `--admin-token-file` gives, or undefined: what the server
 * requires, and what `wormwatch bans` sends. Throws a one-line ConfigError.
 */
export function readAdminToken(options: Pick<Options, 'adminToken' | 'adminTokenFile'>): string | undefined {
  if (options.adminToken !== undefined && options.adminTokenFile !== undefined) {
    throw new ConfigError('--admin-token and --admin-token-file cannot be combined: choose one (the file, for a Secret)');
  }
  let token = options.adminToken;
  const file = options.adminTokenFile;
  if (file !== undefined) {
    try {
      token = readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new ConfigError(`cannot read --admin-token-file ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): give a readable file holding the token`);
    }
  }
  if (token === undefined) return undefined;
  if (token.length < TOKEN_MIN_LENGTH || /\s/.test(token)) {
    throw new ConfigError(`the admin token must be at least ${TOKEN_MIN_LENGTH} characters without spaces: generate one with \`openssl rand -hex 32\``);
  }
  return token;
}
