import type { Command } from 'commander';
import { buildEngine } from '../rules/index.js';
import { RulesError } from '../errors.js';
import type { Engine } from '../detect/types.js';

/** `--rules` and `--no-builtin-rules` for the commands that judge requests without serving. */
export function addRuleOptions(cmd: Command): Command {
  return cmd
    .option('--rules <file|dir>', 'user rule file (YAML/JSON) or directory, on top of the built-in catalogue')
    .option('--no-builtin-rules', 'leave the built-in catalogue out (only --rules)');
}

/** The engine for those flags; a bad rule file is a usage error (exit 2), reported on one line. */
export function engineFromFlags(raw: Record<string, unknown>, cmd: Command): Engine {
  try {
    return buildEngine({ rules: typeof raw.rules === 'string' ? raw.rules : undefined, builtinRules: raw.builtinRules !== false });
  } catch (err) {
    if (err instanceof RulesError) cmd.error(`invalid --rules: ${err.message} (see wormwatch rules check)`, { exitCode: 2, code: 'wormwatch.rules' });
    throw err;
  }
}
