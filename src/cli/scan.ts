import { Option, type Command } from 'commander';
import pino from 'pino';
import type { Options } from '../config/options.js';
import { UsageError } from '../errors.js';
import { createLogger } from '../log.js';
import { buildEngine } from '../rules/index.js';
import { checkTrustedProxies } from '../proxy/validate.js';
import { clientFieldOf, FORMAT_NAMES, lineInput, runScan, type FormatName, type ScanRunOptions, type ScanSummary } from '../scan/index.js';
import { startScan } from '../runtime/scan.js';
import { renderProgress, renderSummary, showsProgress } from '../scan/render.js';
import { addOptionFlags, forScan, optionsFromFlags } from './options.js';

/** `wormwatch scan FILE…`: judge access logs with the proxy's engine and pipeline, print a summary. */
export function register(program: Command): void {
  const cmd = program
    .command('scan')
    .description('Read access logs (plain, .gz, or - for stdin), detect worm and scanner requests, feed offenders and notices, and print a summary.')
    .argument('<files...>', 'access log files; - reads stdin')
    .addOption(new Option('--format <format>', 'log format; auto chooses per file from its first lines').choices([...FORMAT_NAMES]).default('auto'))
    .option('--follow', 'keep reading the files as they grow, across rotation (like tail -F), until SIGINT/SIGTERM')
    .option('--json', 'print the summary as JSON')
    .option('--top <n>', 'offenders listed in the summary', '10');
  addOptionFlags(cmd, forScan);
  cmd.action(async (files: string[], raw: Record<string, unknown>) => {
    const options = optionsFromFlags(raw);
    const summary = await scanCommand(files, options, {
      format: raw.format as FormatName,
      follow: raw.follow === true,
      json: raw.json === true,
      top: parseTop(raw.top),
      // Unless asked, a one-shot scan only logs errors (the summary says the rest); --follow logs each detection.
      logLevel: raw.logLevel !== undefined || process.env.WORMWATCH_LOG_LEVEL !== undefined ? options.logLevel : raw.follow ? 'warn' : 'error',
    });
    if (summary.files.some((f) => f.error)) process.exitCode = 1;
  });
}

export interface ScanCommandOptions {
  format: FormatName;
  follow: boolean;
  json: boolean;
  top: number;
  logLevel: Options['logLevel'];
}

/**
 * How the lines are read (`--format`, `--log-format`, `--client-ip-field`, `--trust-proxy`),
 * checked before anything starts: a combination that cannot work is a one-line ConfigError.
 */
export function scanInputOptions(options: Options, format: FormatName): Pick<ScanRunOptions, 'format' | 'logFormat' | 'clientField' | 'trustProxy'> {
  const input = {
    format,
    ...(options.logFormat !== undefined ? { logFormat: options.logFormat } : {}),
    ...(options.clientIpField !== undefined ? { clientField: clientFieldOf(options.clientIpField), trustProxy: options.trustProxy } : {}),
  };
  // The trusted ranges matter only when a forwarded field is read; then they are held to serve's rule.
  if (input.clientField) checkTrustedProxies(options);
  lineInput(input);
  return input;
}

/** Runs a scan with the full pipeline and prints its summary on stdout; logs go to stderr. */
export async function scanCommand(files: string[], options: Options, cmd: ScanCommandOptions): Promise<ScanSummary> {
  const input = scanInputOptions(options, cmd.format);
  const logger = createLogger(cmd.logLevel, pino.destination({ dest: 2, sync: true }));
  const pipeline = await startScan(options, { logger, engine: buildEngine(options) });
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let progressShown = false;
  const onProgress: ScanRunOptions['onProgress'] = (p) => {
    if (!showsProgress(p)) return;
    process.stderr.write(renderProgress(p));
    progressShown = true;
  };
  try {
    const summary = await runScan(
      {
        files, ...input, follow: cmd.follow, signal: abort.signal, topOffenders: cmd.top,
        ...(pipeline.networkOf ? { networkOf: pipeline.networkOf } : {}),
        // A progress line only on a terminal, and not while following (the scan never ends).
        ...(process.stderr.isTTY === true && !cmd.follow ? { onProgress } : {}),
      },
      { engine: pipeline.engine, onDetection: pipeline.onDetection, onNotFound: pipeline.onNotFound, subscribe: pipeline.subscribe },
    );
    if (progressShown) process.stderr.write('\r\x1b[2K');
    process.stdout.write(cmd.json ? `${JSON.stringify(summary, null, 2)}\n` : renderSummary(summary));
    return summary;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await pipeline.stop();
  }
}

function parseTop(raw: unknown): number {
  const top = Number(raw);
  if (!Number.isInteger(top) || top < 0 || top > 10_000) throw new UsageError(`invalid --top: got ${JSON.stringify(raw)}, expected an integer from 0 to 10000`);
  return top;
}
