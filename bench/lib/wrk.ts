/** Running wrk against a loopback port, bounded in time. */
import { existsSync } from 'node:fs';
import { runBounded } from './children.js';
import { parseWrkOutput, type WrkResult } from './wrk-parse.js';

export const WRK_BIN = ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((p) => existsSync(p));

export interface WrkRun {
  port: number;
  path: string;
  connections: number;
  threads: number;
  durationS: number;
  /** Lua script file (report or rotation); see wrk-scripts.ts. */
  script: string;
}

export async function wrkVersion(): Promise<string> {
  if (!WRK_BIN) return 'missing';
  const { stdout } = await runBounded(WRK_BIN, ['--version'], 5000);
  return (/wrk (\S+)/.exec(stdout)?.[1]) ?? 'unknown';
}

export async function runWrk(run: WrkRun): Promise<WrkResult> {
  if (!WRK_BIN) throw new Error('wrk is not installed (apt-get install wrk)');
  const args = [
    `-t${run.threads}`, `-c${run.connections}`, `-d${run.durationS}s`, '--timeout', '5s', '--latency',
    '-s', run.script, `http://127.0.0.1:${run.port}${run.path}`,
  ];
  const { code, stdout, stderr } = await runBounded(WRK_BIN, args, (run.durationS + 30) * 1000);
  if (code !== 0) throw new Error(`wrk exited ${code}: ${stderr || stdout}`);
  return parseWrkOutput(stdout);
}
