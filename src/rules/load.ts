import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import YAML from 'yaml';
import { RULE_LIMITS, validateRuleData, type RuleSet } from '../detect/rule-schema.js';

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
