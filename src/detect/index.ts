export type * from './types.js';
export { compileCatalogue, EVIDENCE_MAX } from './engine.js';
export { builtinCatalogue } from './catalogue/index.js';
export { NORMALISER_FUNCTIONS, normaliseTarget, headerText, sanitiseLine } from './normalise.js';
export { parseRequestLine, exampleRequest } from './request-line.js';

import { compileCatalogue } from './engine.js';
import { builtinCatalogue } from './catalogue/index.js';
import type { Engine } from './types.js';

let builtin: Engine | undefined;

/** The engine over the built-in catalogue (compiled once, then shared: engines are immutable). */
export function defaultEngine(): Engine {
  builtin ??= compileCatalogue(builtinCatalogue);
  return builtin;
}
export { matchList, LIST_MATCH_FUNCTIONS, type ListEntry } from './list-match.js';
export { buildEngine, checkRuleFile, loadRules } from './rules/index.js';
