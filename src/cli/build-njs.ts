import { renameSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { buildNjsModule } from '../njs/build.js';
import { VERSION } from '../version.js';
import { addRuleOptions, engineFromFlags } from './rule-options.js';

/**
 * `wormwatch build-njs [--out FILE] [--rules F] [--no-builtin-rules]`: the njs module for nginx,
 * from the same catalogue (and rule files) `serve` would run.
 */
export function register(program: Command): void {
  const cmd = program
    .command('build-njs')
    .description('Write the nginx njs module (js_set $wormwatch wormwatch.classify;) generated from the catalogue and normaliser.')
    .option('-o, --out <file>', 'write the module to FILE instead of standard output');
  addRuleOptions(cmd).action((opts: { out?: string } & Record<string, unknown>) => {
    const source = buildNjsModule(engineFromFlags(opts, cmd).signatures, VERSION);
    if (!opts.out) {
      process.stdout.write(source);
      return;
    }
    // Write beside, then rename: nginx reloading at that moment never reads half a module.
    const partial = `${opts.out}.partial`;
    writeFileSync(partial, source);
    renameSync(partial, opts.out);
    process.stderr.write(`wormwatch: wrote ${opts.out} (${source.length} bytes)\n`);
  });
}
