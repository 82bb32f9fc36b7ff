import { renameSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { defaultEngine } from '../detect/index.js';
import { buildNjsModule } from '../njs/build.js';
import { VERSION } from '../version.js';

/** `wormwatch build-njs [--out FILE]`: the njs module for nginx, from the built-in catalogue. */
export function register(program: Command): void {
  program
    .command('build-njs')
    .description('Write the nginx njs module (js_set $wormwatch wormwatch.classify;) generated from the catalogue and normaliser.')
    .option('-o, --out <file>', 'write the module to FILE instead of standard output')
    .action((opts: { out?: string }) => {
      const source = buildNjsModule(defaultEngine().signatures, VERSION);
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
