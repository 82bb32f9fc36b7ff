// Rule files: reading user rule files and directories, the shipped built-in catalogue
// (`catalogue/*.yaml`), and the engine a set of options calls for. File I/O around pure detect/.
import { compileCatalogue } from '../detect/engine.js';
import type { Engine, Signature } from '../detect/types.js';
import { RulesError } from '../errors.js';
import { builtinCatalogue, isBuiltinDir } from './builtin.js';
import { readRules } from './load.js';
import type { RuleSet } from '../detect/rule-schema.js';

export { builtinCatalogue, BUILTIN_DIR } from './builtin.js';
export { readRules, ruleFiles } from './load.js';
export { RULE_LIMITS, validateRuleData, type RuleSet } from '../detect/rule-schema.js';

export interface RuleSources {
  rules?: string | undefined;
  builtinRules?: boolean;
}

/**
 * Clashes between user rules and the built-in catalogue in use: a `disable` of an unknown id, or
 * a rule reusing a built-in id it does not disable. None when the built-ins are left out, or when
 * the folder is the built-in catalogue itself.
 */
function builtinClashes(rules: RuleSet, where: string, builtinRules: boolean): string[] {
  if (!builtinRules || isBuiltinDir(where)) return [];
  const builtinIds = new Set(builtinCatalogue().map((s) => s.id));
  const disabled = new Set(rules.disable);
  const errors: string[] = [];
  for (const id of rules.disable) if (!builtinIds.has(id)) errors.push(`${where}: disable: ${id} is not a built-in signature id (see wormwatch signatures)`);
  for (const s of rules.signatures) {
    if (builtinIds.has(s.id) && !disabled.has(s.id)) errors.push(`${where}: signature ${s.id}: id: same as a built-in signature; add ${s.id} to disable: to replace it`);
  }
  return errors;
}

/**
 * Loads user rules from a file or directory. Throws RulesError listing every problem (one per
 * line, naming file, entry and field); a caller that reloads keeps its old engine on that error.
 */
export function loadRules(fileOrDir: string, builtinRules = true): RuleSet {
  const all = checkRules(fileOrDir, builtinRules);
  if (all.errors.length > 0) throw new RulesError(all.errors);
  return all;
}

/** Every problem of a rule file or directory (`wormwatch rules check`), with what it holds. */
export function checkRules(path: string, builtinRules = true): RuleSet & { errors: string[] } {
  const { errors, ...rules } = readRules(path);
  return { ...rules, errors: [...errors, ...builtinClashes(rules, path, builtinRules)] };
}

/** `wormwatch rules check FILE`: every problem of a rule file or directory, [] when it is fine. */
export function checkRuleFile(path: string, builtinRules = true): string[] {
  return checkRules(path, builtinRules).errors;
}

/** The catalogue an engine is built from: built-ins (minus disabled, unless left out) then user rules. */
export function effectiveCatalogue(sources: RuleSources): Signature[] {
  const withBuiltins = sources.builtinRules !== false;
  const rules = sources.rules ? loadRules(sources.rules, withBuiltins) : { signatures: [], disable: [] };
  const disabled = new Set(rules.disable);
  const builtins = withBuiltins ? builtinCatalogue().filter((s) => !disabled.has(s.id)) : [];
  return [...builtins, ...rules.signatures];
}

/** The engine for these options (`rules`, `builtinRules`); throws RulesError on a bad rule file. */
export function buildEngine(sources: RuleSources): Engine {
  return compileCatalogue(effectiveCatalogue(sources));
}

let builtinEngine: Engine | undefined;

/** The engine over the built-in catalogue alone (compiled once, then shared: engines are immutable). */
export function defaultEngine(): Engine {
  builtinEngine ??= compileCatalogue(builtinCatalogue());
  return builtinEngine;
}
