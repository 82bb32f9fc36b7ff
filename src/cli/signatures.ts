import type { Command } from 'commander';
import type { Signature } from '../detect/types.js';
import { addRuleOptions, engineFromFlags } from './rule-options.js';

/** `wormwatch signatures [--json]`: the catalogue in force, request-stage signatures first. */
export function register(program: Command): void {
  const cmd = program
    .command('signatures')
    .description('List the signature catalogue (id, family, stage, title); --json for every field.')
    .option('--json', 'print the signatures as a JSON array, with descriptions, references and patterns');
  addRuleOptions(cmd).action((raw: Record<string, unknown>) => {
    process.stdout.write(renderSignatures(engineFromFlags(raw, cmd).signatures, raw.json === true));
  });
}

/** The listing: a table (or JSON with every public field), request-stage signatures first. */
export function renderSignatures(signatures: readonly Signature[], json: boolean): string {
  const sigs = [...signatures].sort((a, b) => stageRank(a) - stageRank(b));
  return json ? `${JSON.stringify(sigs.map(publicFields), null, 2)}\n` : table(sigs);
}

function stageRank(s: Signature): number {
  return s.stage === 'request' ? 0 : 1;
}

function publicFields(s: Signature) {
  return { id: s.id, family: s.family, stage: s.stage, title: s.title, description: s.description, references: s.references, stageReason: s.stageReason, match: s.match };
}

function table(sigs: readonly Signature[]): string {
  const rows = [['ID', 'FAMILY', 'STAGE', 'TITLE'], ...sigs.map((s) => [s.id, s.family, s.stage, s.title])];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c)).join('  ')).join('\n') + `\n${sigs.length} signatures\n`;
}
