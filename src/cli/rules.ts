import type { Command } from 'commander';
import { checkRules } from '../rules/index.js';

/** `wormwatch rules check FILE|DIR`: exit 0 when the rules are valid, 1 with one error per line. */
export function register(program: Command): void {
  const rules = program.command('rules').description('Work with user rule files (--rules).');
  rules
    .command('check')
    .description('Validate a rule file or directory: schema, patterns (ReDoS-prone ones rejected), and every rule\'s own examples.')
    .argument('<path>', 'rule file (.yaml, .yml, .json) or directory of them')
    .option('--no-builtin-rules', 'check the rules as used without the built-in catalogue (they may reuse its ids)')
    .action((path: string, o: { builtinRules: boolean }) => {
      const result = rulesCheck(path, o.builtinRules);
      process.stdout.write(result.output);
      process.exitCode = result.exitCode;
    });
}

/** The report of `rules check`: exit 0 and a one-line summary, or exit 1 and one error per line. */
export function rulesCheck(path: string, builtinRules = true): { exitCode: number; output: string } {
  const { errors, signatures, disable } = checkRules(path, builtinRules);
  if (errors.length > 0) return { exitCode: 1, output: `${errors.join('\n')}\n` };
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  return { exitCode: 0, output: `${path}: OK (${plural(signatures.length, 'signature')}, ${plural(disable.length, 'built-in')} disabled)\n` };
}
