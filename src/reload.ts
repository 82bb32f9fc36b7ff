import type http from 'node:http';
import { Counter, Gauge } from 'prom-client';
import type { Metrics } from './admin/metrics.js';
import { sendJson } from './admin/respond.js';
import type { AdminRoute } from './admin/server.js';
import type { ExtensionContext, WormwatchExtension } from './app.js';
import type { Options } from './config/options.js';
import { buildEngine } from './detect/index.js';
import type { Engine } from './detect/types.js';
import type { Logger } from './log.js';

export interface ReloadResult {
  ok: boolean;
  /** Signatures in the engine running after the reload (the old one when it failed). */
  signatures: number;
  /** Why the new rules were refused; the old ones keep running. */
  error?: string;
}

export interface Reloader {
  /** Rebuilds the engine and swaps it in; never throws. Overlapping calls share one rebuild. */
  reload(reason: string): Promise<ReloadResult>;
  /** `POST /reload` for the admin server. */
  adminRoute: AdminRoute;
}

export interface ReloaderDeps {
  /** Builds a fresh engine from the built-ins and the rule files; throws on a bad file. */
  build: () => Engine | Promise<Engine>;
  engine: () => Engine;
  setEngine: (engine: Engine) => void;
  metrics: Metrics;
  logger: Logger;
}

/**
 * Rule reloads: the engine is rebuilt off to the side and swapped in with one assignment, so a
 * request being inspected finishes with the engine it started with and no connection is touched.
 * A file that fails to load or validate leaves the running rules in place; the log says why and
 * `wormwatch_rules_last_reload_success` drops to 0 until a reload succeeds.
 */
export function createReloader(deps: ReloaderDeps): Reloader {
  const { registry } = deps.metrics;
  const total = new Counter({ name: 'wormwatch_rules_reload_total', help: 'Rule reloads (SIGHUP or POST /reload), by result (success, failure).', labelNames: ['result'] as const, registers: [registry] });
  const loaded = new Gauge({ name: 'wormwatch_rules_loaded', help: 'Signatures in the running engine (built-in and user rules).', registers: [registry] });
  const lastOk = new Gauge({ name: 'wormwatch_rules_last_reload_success', help: '1 if the last rule reload succeeded (or none was tried), 0 if it failed and older rules are running.', registers: [registry] });
  total.inc({ result: 'success' }, 0);
  total.inc({ result: 'failure' }, 0);
  loaded.set(deps.engine().signatures.length);
  lastOk.set(1);
  let inFlight: Promise<ReloadResult> | null = null;

  async function rebuild(reason: string): Promise<ReloadResult> {
    try {
      const engine = await deps.build();
      deps.setEngine(engine);
      total.inc({ result: 'success' });
      loaded.set(engine.signatures.length);
      lastOk.set(1);
      deps.logger.info({ event: 'rules-reload', reason, signatures: engine.signatures.length }, 'rules reloaded');
      return { ok: true, signatures: engine.signatures.length };
    } catch (err) {
      const error = (err as Error)?.message ?? String(err);
      total.inc({ result: 'failure' });
      lastOk.set(0);
      deps.logger.error({ event: 'rules-reload', reason, error }, 'rules reload failed, keeping the rules already running');
      return { ok: false, signatures: deps.engine().signatures.length, error };
    }
  }

  const reload = (reason: string): Promise<ReloadResult> => {
    inFlight ??= rebuild(reason).finally(() => {
      inFlight = null;
    });
    return inFlight;
  };

  const adminRoute: AdminRoute = {
    method: 'POST',
    path: '/reload',
    async handle(_req: http.IncomingMessage, res: http.ServerResponse) {
      const result = await reload('admin');
      sendJson(res, result.ok ? 200 : 422, result);
    },
  };
  return { reload, adminRoute };
}

/**
 * The reload extension: SIGHUP and `POST /reload` rebuild the engine with `build(options)`.
 * The SIGHUP handler lives from `start` to `stop`, so it never outlives the app (tests start many).
 */
export function reloadExtension(build: (ctx: ExtensionContext) => Engine | Promise<Engine>) {
  return (ctx: ExtensionContext): WormwatchExtension => {
    // The admin token file is re-read on the same signal: a rotated Secret takes effect with the rules.
    const rebuild = (): Engine | Promise<Engine> => {
      ctx.adminToken?.reload();
      return build(ctx);
    };
    const reloader = createReloader({ build: rebuild, engine: ctx.engine, setEngine: ctx.setEngine, metrics: ctx.metrics, logger: ctx.logger });
    const onHangup = (): void => {
      void reloader.reload('SIGHUP');
    };
    return {
      name: 'reload',
      adminRoutes: [reloader.adminRoute],
      start: () => {
        process.on('SIGHUP', onHangup);
      },
      stop: () => {
        process.off('SIGHUP', onHangup);
      },
    };
  };
}

/**
 * The engine `serve` and `scan` run for these options: the built-in catalogue (unless
 * `--no-builtin-rules`) plus `--rules`, read afresh. Throws RulesError on a bad rule file.
 */
export async function buildEngineFromOptions(options: Options): Promise<Engine> {
  return buildEngine({ rules: options.rules, builtinRules: options.builtinRules });
}

/** SIGHUP / `POST /reload` rebuild from the options' rule sources. */
export const rulesReloadExtension = reloadExtension((ctx) => buildEngineFromOptions(ctx.options));
