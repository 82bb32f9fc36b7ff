// The public API of the wormwatch package (`import { startWormwatch } from 'wormwatch'`):
// starting a sidecar, the options, the detection engine and catalogue types, the extension contract.
export { startWormwatch } from './runtime/serve.js';
export type { StartOptions, Wormwatch } from './runtime/serve.js';
export { startScan } from './runtime/scan.js';
export type { ScanRuntime } from './runtime/scan.js';
export { defaultExtensions } from './runtime/extensions/index.js';
export type { ExtensionContext, ExtensionFactory, WormwatchExtension } from './runtime/extension.js';
export { loadOptions } from './config/load.js';
export type { Options } from './config/options.js';
export { buildEngine, builtinCatalogue, checkRuleFile, defaultEngine } from './rules/index.js';
export { compileCatalogue } from './detect/engine.js';
export type { Engine, MatchTarget, NormalisedRequest, RequestView, Signature, SignatureExample, Stage, Verdict } from './detect/types.js';
export type { DetectionEvent } from './detect/detection.js';
export { sendJson, type AdminRoute } from './admin/route.js';
export { createLogger, type Logger } from './log.js';
export { ConfigError, RulesError, WormwatchError } from './errors.js';
export { VERSION } from './version.js';
