import { Option, type Command } from 'commander';
import type { Wormwatch } from '../app.js';
import { loadOptions } from '../config/load.js';
import type { Options } from '../config/options.js';
import { envName, flagName, optionSpecs } from '../config/spec.js';
import { checkProxyOptions } from '../proxy/validate.js';

/** `wormwatch serve`: the proxy, with every option of `optionSpecs` as a flag. */
export function register(program: Command): void {
  const cmd = program
    .command('serve')
    .description('Run the proxy in front of --upstream, with the admin server (metrics, health, offenders) beside it.');
  addOptionFlags(cmd);
  cmd
    .option('-c, --config <file>', 'JSON or YAML file of options, keyed as in the README table (env WORMWATCH_CONFIG)')
    .option('--check-config', 'validate the configuration, print a one-line summary, and exit 0')
    .action(async (raw: Record<string, unknown>) => {
      const options = resolveServeOptions(raw);
      if (raw.checkConfig) {
        // The notifier's cross-field rule (smtp needs --smtp-url) would otherwise only fire at start-up.
        const { notifyMode } = await import('../notify/index.js');
        notifyMode(options);
        process.stdout.write(`wormwatch: configuration OK (${summary(options)})\n`);
        return;
      }
      // Loaded here, not at the top: --help, --version and config errors stay quick.
      const { startWormwatch } = await import('../app.js');
      const { isClusterWorker, runWorker, startCluster, workerCount } = await import('../cluster.js');
      if (isClusterWorker()) return runWorker(options);
      const app = workerCount(options) > 1 ? await startCluster(options) : await startWormwatch(options);
      stopOnSignals(app);
    });
}

/**
 * Adds one flag per option. No commander defaults on purpose: only flags the user typed may
 * reach `loadOptions`, or they would hide the environment and the config file.
 */
export function addOptionFlags(cmd: Command): void {
  for (const s of optionSpecs) {
    const flags = s.value ? `${flagName(s.key)} ${s.value}` : flagName(s.key);
    cmd.addOption(new Option(flags, `${s.description} (default ${s.shownDefault}; env ${envName(s.key)})`));
    // A switch that defaults to on needs a way off that reads as one: --no-builtin-rules.
    if (s.default === true) cmd.addOption(new Option(`--no-${flagName(s.key).slice(2)}`, `same as ${flagName(s.key)} false`));
  }
}

/** The typed options from the flags given, then `WORMWATCH_*`, then `--config`; throws ConfigError. */
export function resolveServeOptions(raw: Record<string, unknown>): Options {
  const flags: Partial<Record<keyof Options, unknown>> = {};
  for (const s of optionSpecs) if (raw[s.key] !== undefined) flags[s.key] = raw[s.key];
  const file = typeof raw.config === 'string' ? raw.config : undefined;
  const options = loadOptions({ flags, env: process.env, ...(file ? { file } : {}) });
  checkProxyOptions(options);
  return options;
}

function summary(o: Options): string {
  return `upstream ${o.upstream?.origin ?? '(none)'}, listen ${o.listen.host}:${o.listen.port}, admin ${o.adminListen.host}:${o.adminListen.port}, mode ${o.mode}`;
}

/**
 * SIGTERM/SIGINT: stop accepting, let in-flight requests finish within `shutdownGrace`, exit 0.
 * A second signal exits at once with 1 (an operator who insists).
 */
export function stopOnSignals(app: Wormwatch): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      app.logger.warn({ signal }, 'second signal, exiting without waiting');
      process.exit(1);
    }
    stopping = true;
    app.logger.info({ signal }, 'shutting down');
    app.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        app.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
