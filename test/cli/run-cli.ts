// Runs the real CLI (`node --import tsx src/cli/main.ts …`) as a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { GUARDED_NODE_ARGS } from '../helpers/no-network.js';
import { assertServeFlagsStayLocal } from '../helpers/notice-guard.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The parent's environment without any WORMWATCH_* variable, plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('WORMWATCH_')) env[k] = v;
  return { ...env, ...extra };
}

/**
 * A `serve` that will listen (not `--check-config` or a refused flag) must keep its notices on
 * loopback: the notice guard fails the test before the child starts (see notice-guard.ts).
 */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = cleanEnv()): ChildProcess {
  if (args[0] === 'serve' && args.includes('--listen') && !args.includes('--check-config')) assertServeFlagsStayLocal(args);
  return spawn(process.execPath, [...GUARDED_NODE_ARGS, MAIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function finished(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

export function runCli(args: string[], env?: NodeJS.ProcessEnv): Promise<CliResult> {
  return finished(spawnCli(args, env));
}
