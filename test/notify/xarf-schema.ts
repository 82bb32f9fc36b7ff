// The x-arf.org Malware-Attack schema (test data, fixtures/x-arf), compiled for ajv: the field
// list every report.txt wormwatch emits is validated against.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS with `exports.default`; under ESM interop the function may sit one level down.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

type OldSchema = { properties: Record<string, Record<string, unknown>> } & Record<string, unknown>;

/** The x-arf.org schema (JSON Schema draft 02/03: `optional`, `requires`) for ajv (draft-07). */
function modernise(s: OldSchema): object {
  const properties: Record<string, object> = {};
  const required: string[] = [];
  const dependencies: Record<string, string[]> = {};
  for (const [name, spec] of Object.entries(s.properties)) {
    const { optional, requires, ...rest } = spec;
    properties[name] = rest;
    if (optional !== true) required.push(name);
    if (typeof requires === 'string') dependencies[name] = [requires];
  }
  return { type: 'object', properties, required, dependencies };
}

export function xarfValidator(): { ajv: Ajv; validate: ReturnType<Ajv['compile']> } {
  const schema = JSON.parse(readFileSync(new URL('./fixtures/x-arf/abuse_malware-attack.json', import.meta.url), 'utf8')) as OldSchema;
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  return { ajv, validate: ajv.compile(modernise(schema)) };
}
