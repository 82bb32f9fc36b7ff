#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { WormwatchError } from '../errors.js';
import { VERSION } from '../version.js';
import * as buildNjs from './build-njs.js';
import * as demo from './demo.js';
import * as serve from './serve.js';
import * as scan from './scan.js';
import * as notices from './notices.js';
import * as rdap from './rdap.js';
import * as bans from './bans.js';
import * as mailer from './mailer.js';
import * as check from './check.js';
import * as rules from './rules.js';
import * as signatures from './signatures.js';

/** Exit status for usage and configuration errors (bad flag, bad option value). */
const EXIT_USAGE = 2;

function buildProgram(): Command {
  const program = new Command('wormwatch')
    .description('Reverse-proxy sidecar that spots worm and scanner probes, remembers offenders and exports Prometheus metrics.')
    .version(VERSION, '-V, --version', 'print the version and exit')
    .showSuggestionAfterError(true)
    .exitOverride()
    // Errors are printed by `run` as one line; commander would print them as it likes.
    .configureOutput({ outputError: () => undefined });
  serve.register(program);
  demo.register(program);
  buildNjs.register(program);
  scan.register(program);
  notices.register(program);
  rdap.register(program);
  bans.register(program);
  mailer.register(program);
  check.register(program);
  signatures.register(program);
  rules.register(program);
  return program;
}

/** Runs the CLI and resolves to the exit status; commands that set `process.exitCode` keep it. */
async function run(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return 0;
      // No command given: commander has printed the help to stderr already.
      if (err.code === 'commander.help') return EXIT_USAGE;
      process.stderr.write(`wormwatch: ${oneLine(err.message.replace(/^error: /, ''))}\n`);
      return EXIT_USAGE;
    }
    // Every error of the table says its exit status: 2 for usage and configuration mistakes.
    process.stderr.write(`wormwatch: ${oneLine((err as Error)?.message ?? String(err))}\n`);
    return err instanceof WormwatchError ? err.exitCode : 1;
  }
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

// A command that keeps running (serve, demo --keep) owns the exit itself.
const code = await run(process.argv);
if (code !== 0) process.exit(code);
