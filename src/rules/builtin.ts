import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RulesError } from '../errors.js';
import type { Signature } from '../detect/types.js';
import { readRules } from './load.js';

/**
 * The built-in catalogue: the YAML rule files in the package's `catalogue/` folder, in the
 * format users write, read and validated by the same code as `--rules` (every signature's own
 * examples included), in file-name order, which is matching order. The same path from `src/`
 * (tsx) and `dist/` (the built package).
 */
export const BUILTIN_DIR = fileURLToPath(new URL('../../catalogue/', import.meta.url));

let cached: readonly Signature[] | undefined;

/** The built-in signatures, read once per process (the shipped files do not change under it). */
export function builtinCatalogue(): readonly Signature[] {
  if (cached === undefined) {
    const { errors, signatures } = readRules(BUILTIN_DIR);
    // A damaged installation, not a user mistake: say which file, as for any rule file.
    if (errors.length > 0) throw new RulesError(errors);
    cached = Object.freeze(signatures);
  }
  return cached;
}

/** Whether `path` is the built-in catalogue folder itself (`rules check catalogue/`). */
export function isBuiltinDir(path: string): boolean {
  try {
    return realpathSync(path) === realpathSync(BUILTIN_DIR);
  } catch {
    return false;
  }
}
