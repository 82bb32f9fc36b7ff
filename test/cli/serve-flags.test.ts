import assert from 'node:assert/strict';
import { Command } from 'commander';
import { addOptionFlags } from '../../src/cli/options.js';
import { resolveServeOptions } from '../../src/cli/serve.js';

function parse(args: string[]): Record<string, unknown> {
  const cmd = new Command('serve').exitOverride();
  addOptionFlags(cmd);
  cmd.parse(args, { from: 'user' });
  return cmd.opts();
}

describe('serve flags', () => {
  it('regression: --no-builtin-rules turns the built-in catalogue off', () => {
    const options = resolveServeOptions(parse(['--upstream', 'http://127.0.0.1:1', '--no-builtin-rules']));
    assert.equal(options.builtinRules, false);
  });

  it('leaves a default-on switch to the environment when no flag is given', () => {
    const saved = process.env.WORMWATCH_BUILTIN_RULES;
    process.env.WORMWATCH_BUILTIN_RULES = 'false';
    try {
      assert.equal(resolveServeOptions(parse(['--upstream', 'http://127.0.0.1:1'])).builtinRules, false);
    } finally {
      if (saved === undefined) delete process.env.WORMWATCH_BUILTIN_RULES;
      else process.env.WORMWATCH_BUILTIN_RULES = saved;
    }
    assert.equal(resolveServeOptions(parse(['--upstream', 'http://127.0.0.1:1'])).builtinRules, true);
  });
});
