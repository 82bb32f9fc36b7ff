import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import YAML from 'yaml';
import { RulesError } from '../../errors.js';
import { builtinCatalogue } from '../catalogue/index.js';
import { compileCatalogue } from '../engine.js';
import type { Engine, Signature } from '../types.js';
import { RULE_LIMITS, validateRuleData, type RuleSet } from './validate.js';

const RULE_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** `*.yaml`, `*.yml` and `*.json` directly in a directory (not below), by name; or the file itself. */
export function ruleFiles(fileOrDir: string): string[] {
  const st = statSync(fileOrDir);
  if (!st.isDirectory()) return [fileOrDir];
  return readdirSync(fileOrDir)
    .filter((f) => RULE_EXTENSIONS.has(extname(f).toLowerCase()) && !f.startsWith('.'))
    .sort()
    .map((f) => join(fileOrDir, f));
}

function parseFile(file: string, errors: string[]): unknown {
  let text: string;
  try {
    if (statSync(file).size > RULE_LIMITS.fileBytes) {
      errors.push(`${file}: larger than ${RULE_LIMITS.fileBytes} bytes`);
      return undefined;
    }
    text = readFileSync(file, 'utf8');
  } catch (err) {
    errors.push(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return undefined;
  }
  const empty = `${file}: holds no rules (empty, or caught while being written): add signatures or disable entries, or remove the file`;
  if (text.trim() === '') {
    errors.push(empty);
    return undefined;
  }
  let data: unknown;
  try {
    data = extname(file).toLowerCase() === '.json' ? JSON.parse(text) : YAML.parse(text);
  } catch (err) {
    errors.push(`${file}: cannot parse: ${(err as Error).message.split('\n')[0]}`);
    return undefined;
  }
  // An empty file is what an editor or a config tool leaves for a moment mid-write; taking it
  // as "no rules" would drop every user rule on a reload that looked successful.
  if (data === null || data === undefined) errors.push(empty);
  return data;
}

/** Every rule file under `fileOrDir`, validated; with the errors found (none means usable). */
export function readRules(fileOrDir: string): RuleSet & { errors: string[] } {
  const errors: string[] = [];
  const merged: RuleSet = { signatures: [], disable: [] };
  let files: string[] = [];
  try {
    files = ruleFiles(fileOrDir);
  } catch (err) {
    errors.push(`${fileOrDir}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const owner = new Map<string, string>();
  for (const file of files) {
    const set = validateRuleData(parseFile(file, errors), file, errors);
    for (const s of set.signatures) {
      const first = owner.get(s.id);
      if (first) errors.push(`${file}: signature ${s.id}: id: duplicate of the signature in ${first}`);
      else owner.set(s.id, file);
    }
    merged.signatures.push(...set.signatures);
    merged.disable.push(...set.disable);
  }
  return { ...merged, errors };
}

/** Clashes between user rules and the built-in catalogue: unknown disabled ids, reused ids. */
function builtinClashes(rules: RuleSet, where: string): string[] {
  const builtinIds = new Set(builtinCatalogue.map((s) => s.id));
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
export function loadRules(fileOrDir: string): RuleSet {
  const { errors, ...rules } = readRules(fileOrDir);
  const all = [...errors, ...builtinClashes(rules, fileOrDir)];
  if (all.length > 0) throw new RulesError(all);
  return rules;
}

/** `wormwatch rules check FILE`: every problem of a rule file or directory, [] when it is fine. */
export function checkRuleFile(path: string): string[] {
  const { errors, ...rules } = readRules(path);
  return [...errors, ...builtinClashes(rules, path)];
}

/** The catalogue an engine is built from: built-ins (minus disabled, unless left out) then user rules. */
export function effectiveCatalogue(options: { rules?: string | undefined; builtinRules?: boolean }): Signature[] {
  const rules = options.rules ? loadRules(options.rules) : { signatures: [], disable: [] };
  const disabled = new Set(rules.disable);
  const builtins = options.builtinRules === false ? [] : builtinCatalogue.filter((s) => !disabled.has(s.id));
  return [...builtins, ...rules.signatures];
}

/** The engine for these options (`rules`, `builtinRules`); throws RulesError on a bad rule file. */
export function buildEngine(options: { rules?: string | undefined; builtinRules?: boolean }): Engine {
  return compileCatalogue(effectiveCatalogue(options));
}
