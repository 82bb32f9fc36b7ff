import assert from 'node:assert/strict';
import { Command } from 'commander';
import { addOptionFlags, forScan, forServe } from '../../src/cli/options.js';
import { resolveServeOptions } from '../../src/cli/serve.js';

function parse(args: string[]): Record<string, unknown> {
  const cmd = new Command('serve').exitOverride().configureOutput({ writeErr: () => undefined });
  addOptionFlags(cmd, forServe);
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

  it('offers each command its own options: serve has no --log-format, scan has no --upstream', () => {
    assert.throws(() => parse(['--log-format', '$remote_addr']), /unknown option '--log-format'/);
    assert.throws(() => parse(['--client-ip-field', 'X-Forwarded-For']), /unknown option '--client-ip-field'/);
    const scan = addOptionFlags(new Command('scan').exitOverride(), forScan);
    const flags = scan.options.map((o) => o.long);
    assert.ok(flags.includes('--log-format') && flags.includes('--client-ip-field') && flags.includes('--trust-proxy') && flags.includes('--trust-all-proxies'));
    assert.ok(!flags.includes('--upstream') && !flags.includes('--client-ip-header'));
  });
});
