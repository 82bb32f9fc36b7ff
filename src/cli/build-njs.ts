import type { Command } from 'commander';
import { buildNjsModule } from '../njs/build.js';
import { buildNjsMap } from '../njs/map.js';
import { VERSION } from '../version.js';
import { writeFileAtomic } from './atomic-write.js';
import { addRuleOptions, engineFromFlags } from './rule-options.js';

/**
 * `wormwatch build-njs [--out FILE] [--map FILE] [--rules F] [--no-builtin-rules]`: the njs module
 * for nginx and, with `--map`, the nginx map that lets nginx run it only for suspect requests,
 * both from the same catalogue (and rule files) `serve` would run.
 */
export function register(program: Command): void {
  const cmd = program
    .command('build-njs')
    .description('Write the nginx njs module (js_set $wormwatch wormwatch.classify;) generated from the catalogue and normaliser, and with --map the map that sets $wormwatch_suspect.')
    .option('-o, --out <file>', 'write the module to FILE instead of standard output')
    .option('--map <file>', 'also write the nginx map (http context) that sets $wormwatch_suspect: run the classifier only when it is 1');
  addRuleOptions(cmd).action(async (opts: { out?: string; map?: string } & Record<string, unknown>) => {
    const signatures = engineFromFlags(opts, cmd).signatures;
    const source = buildNjsModule(signatures, VERSION);
    // Each file whole or not at all (nginx reloading at that moment reads the old one); the map
    // last, so a map never names a module function that is not there yet.
    if (opts.out) await written(opts.out, source);
    else process.stdout.write(source);
    if (opts.map) await written(opts.map, buildNjsMap(signatures, VERSION));
  });
}

async function written(path: string, text: string): Promise<void> {
  await writeFileAtomic(path, text);
  process.stderr.write(`wormwatch: wrote ${path} (${text.length} bytes)\n`);
}
