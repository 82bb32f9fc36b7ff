import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import { builtinCatalogue } from '../../src/detect/index.js';
import { validateRuleData } from '../../src/detect/rules/validate.js';
import type { Signature } from '../../src/detect/index.js';

const DIR = resolve(import.meta.dirname, '../../catalogue');

/** `catalogue/*.yaml` in name order, each read through the user-rule validator. */
function readCatalogueData(): { files: string[]; signatures: Signature[]; errors: string[] } {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();
  const errors: string[] = [];
  const signatures: Signature[] = [];
  for (const f of files) {
    const set = validateRuleData(YAML.parse(readFileSync(join(DIR, f), 'utf8')), f, errors);
    assert.deepEqual(set.disable, [], `${f}: a catalogue file disables nothing`);
    signatures.push(...set.signatures);
  }
  return { files, signatures, errors };
}

describe('catalogue/ (the built-in catalogue as rule data)', () => {
  const data = readCatalogueData();

  it('validates every file with the user-rule validator, without a single error', () => {
    assert.deepEqual(data.errors, []);
  });

  it('read in file-name order, gives exactly builtinCatalogue: same signatures, deep-equal, same order', () => {
    assert.deepEqual(data.signatures.map((s) => s.id), builtinCatalogue.map((s) => s.id));
    data.signatures.forEach((s, i) => assert.deepStrictEqual(s, { ...builtinCatalogue[i]! }, `signature ${i + 1} (${s.id})`));
  });

  it('names files NN-family.yaml and opens each with a comment saying what it holds', () => {
    assert.ok(data.files.length >= 10, `only ${data.files.length} files`);
    for (const f of data.files) {
      assert.match(f, /^\d{2}-[a-z0-9-]+\.yaml$/);
      const text = readFileSync(join(DIR, f), 'utf8');
      assert.match(text, /^# \S.{20,}\n/, `${f}: no opening comment`);
      const family = f.replace(/^\d{2}-/, '').replace(/\.yaml$/, '');
      const families = new Set(((YAML.parse(text) as { signatures: Signature[] }).signatures).map((s) => s.family));
      for (const fam of families) assert.ok(family.startsWith(fam), `${f} holds family ${fam}`);
    }
  });

  it('writes descriptions as block scalars, for people to edit', () => {
    for (const f of data.files) {
      const text = readFileSync(join(DIR, f), 'utf8');
      const plain = text.split('\n').filter((l) => /^\s+description: (?!>-)/.test(l));
      assert.deepEqual(plain, [], `${f}: description not a folded block`);
    }
  });
});
