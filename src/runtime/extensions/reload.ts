import { sendJson, type AdminRoute } from '../../admin/route.js';
import type { Engine } from '../../detect/types.js';
import type { Logger } from '../../log.js';
import type { RuleMetrics } from '../../metrics.js';
import { buildEngine } from '../../rules/index.js';
import type { ExtensionContext, WormwatchExtension } from '../extension.js';

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
  setEngine: (engine: Engine) => Promise<void>;
  metrics: RuleMetrics;
  logger: Logger;
}

/**
 * Rule reloads: the engine is rebuilt off to the side and swapped in with one assignment, so a
 * request being inspected finishes with the engine it started with and no connection is touched.
 * A file that fails to load or validate leaves the running rules in place; the log says why and
 * `wormwatch_rules_last_reload_success` drops to 0 until a reload succeeds.
 */
export function createReloader(deps: ReloaderDeps): Reloader {
  const { reloads, loaded, lastReloadOk } = deps.metrics;
  loaded.set(deps.engine().signatures.length);
  let inFlight: Promise<ReloadResult> | null = null;

  async function rebuild(reason: string): Promise<ReloadResult> {
    try {
      const engine = await deps.build();
      await deps.setEngine(engine);
      reloads.inc({ result: 'success' });
      loaded.set(engine.signatures.length);
      lastReloadOk.set(1);
      deps.logger.info({ event: 'rules-reload', reason, signatures: engine.signatures.length }, 'rules reloaded');
      return { ok: true, signatures: engine.signatures.length };
    } catch (err) {
      const error = (err as Error)?.message ?? String(err);
      reloads.inc({ result: 'failure' });
      lastReloadOk.set(0);
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
    async handle(_req, res) {
      const result = await reload('admin');
      sendJson(res, result.ok ? 200 : 422, result);
    },
  };
  return { reload, adminRoute };
}

/**
 * SIGHUP and `POST /reload`: the admin token file is re-read (a rotated Secret takes effect with
 * the rules), then the engine is rebuilt from the built-in catalogue and `--rules`, afresh. The
 * SIGHUP handler lives from `start` to `stop`, so it never outlives the app (tests start many).
 */
export function rulesReloadExtension(ctx: ExtensionContext): WormwatchExtension {
  const build = (): Engine => {
    ctx.adminToken?.reload();
    return buildEngine(ctx.options);
  };
  const reloader = createReloader({ build, engine: ctx.engine, setEngine: ctx.setEngine, metrics: ctx.metrics.rules, logger: ctx.logger });
  const onHangup = (): void => void reloader.reload('SIGHUP');
  return {
    name: 'reload',
    adminRoutes: [reloader.adminRoute],
    start: () => void process.on('SIGHUP', onHangup),
    stop: () => void process.off('SIGHUP', onHangup),
  };
}
