// PLACEHOLDER (skeleton): the detect owner replaces engine, normaliser and catalogue; the exports stay.
export type * from './types.js';
export { compileCatalogue } from './engine.js';
export { builtinCatalogue } from './catalogue/index.js';

import { compileCatalogue } from './engine.js';
import { builtinCatalogue } from './catalogue/index.js';
import type { Engine } from './types.js';

/** The engine over the built-in catalogue. */
export function defaultEngine(): Engine {
  return compileCatalogue(builtinCatalogue);
}
