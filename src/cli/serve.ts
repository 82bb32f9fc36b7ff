import type { Command } from 'commander';
import type { Wormwatch } from '../runtime/serve.js';
import type { Options } from '../config/options.js';
import { addOptionFlags, forServe, optionsFromFlags } from './options.js';
import { ConfigError } from '../errors.js';
import { checkProxyOptions } from '../proxy/validate.js';
import { checkBanOptions } from '../bans/validate.js';
import { checkNotifyOptions } from '../notify/mode.js';

/** `wormwatch serve`: the proxy, with every option of `optionSpecs` but `scan`'s own as a flag. */
export function register(program: Command): void {
  const cmd = program
    .command('serve')
    .description('Run the proxy in front of --upstream, with the admin server (metrics, health, offenders) beside it.');
  addOptionFlags(cmd, forServe)
    .option('--check-config', 'validate the configuration, print a one-line summary, and exit 0')
    .action(async (raw: Record<string, unknown>) => {
      const options = resolveServeOptions(raw);
      if (raw.checkConfig) {
        // The rules that would otherwise only fire at start-up: the admin port's key, the RDAP
        // bootstrap, and the rule files themselves (loaded and validated, as start-up would).
        const [{ adminToken }, { buildEngine }, { bootstrapFor }] = await Promise.all([import('../admin/token.js'), import('../rules/index.js'), import('../notify/abuse-setup.js')]);
        adminToken(options);
        // The abuse tier's --rdap-bootstrap, read and checked as start-up would.
        if (options.noticeTiers.includes('abuse') && options.rdapUrl === undefined) await bootstrapFor(options);
        let engine;
        try {
          engine = buildEngine(options);
        } catch (err) {
          throw new ConfigError(`invalid --rules: ${(err as Error).message} (see wormwatch rules check)`);
        }
        process.stdout.write(`wormwatch: configuration OK (${summary(options)}, ${engine.signatures.length} signatures)\n`);
        return;
      }
      // Loaded here, not at the top: --help, --version and config errors stay quick.
      const { startWormwatch } = await import('../runtime/serve.js');
      const [{ isClusterWorker, startCluster, workerCount }, { runWorker }] = await Promise.all([import('../runtime/cluster/primary.js'), import('../runtime/cluster/worker.js')]);
      if (isClusterWorker()) return runWorker(options);
      const app = workerCount(options) > 1 ? await startCluster(options) : await startWormwatch(options);
      stopOnSignals(app);
    });
}

/** The typed options from the flags given, then `WORMWATCH_*`, then `--config`; throws ConfigError. */
export function resolveServeOptions(raw: Record<string, unknown>): Options {
  const options = optionsFromFlags(raw);
  checkProxyOptions(options);
  checkBanOptions(options);
  checkNotifyOptions(options);
  return options;
}

function summary(o: Options): string {
  return `upstream ${o.upstream?.origin ?? '(none)'}, listen ${o.listen.host}:${o.listen.port}, admin ${o.adminListen.host}:${o.adminListen.port}, mode ${o.mode}${o.banTtl > 0 ? `, bans ${o.banTtl / 1000}s` : ''}`;
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
      () => exitLogged(app, 0),
      (err: unknown) => {
        app.logger.error({ err }, 'shutdown failed');
        exitLogged(app, 1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** Exits once the log lines written so far are out (pino imported late, as at start: see above). */
function exitLogged(app: Wormwatch, code: number): void {
  void import('../log.js').then(({ exitFlushed }) => exitFlushed(app.logger, code), () => process.exit(code));
}
