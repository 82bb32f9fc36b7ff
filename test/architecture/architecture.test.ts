import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { cycles, folderGraph, folderOf, importGraph, SRC, sourceFiles } from './graph.js';

/** The top-level files (`src/*.ts`) as a dependency: small shared modules, none of them wiring. */
const SHARED = new Set(['address.ts', 'errors.ts', 'log.ts', 'metrics.ts', 'version.ts']);

/**
 * Which folders each folder may import, as its README says (`.` is one of the shared top-level
 * modules above). The wiring (`runtime`) and the command line may import more; nothing imports them.
 */
const ALLOWED: Record<string, readonly string[]> = {
  admin: ['.', 'config', 'offenders'],
  bans: ['.', 'admin', 'config', 'detect', 'storage'],
  config: ['.'],
  detect: ['.'],
  fleet: ['.', 'admin', 'bans', 'config', 'detect', 'notify', 'offenders'],
  geoip: ['.'],
  njs: ['detect'],
  notify: ['.', 'admin', 'config', 'detect', 'storage', 'rdap', 'geoip'],
  offenders: ['.', 'admin', 'detect'],
  proxy: ['.', 'config', 'detect'],
  rdap: [],
  rules: ['.', 'detect'],
  scan: ['.', 'detect'],
  storage: [],
  runtime: ['.', 'admin', 'config', 'detect', 'notify', 'offenders', 'proxy', 'rules', 'scan', 'rdap', 'geoip', 'bans', 'storage', 'fleet'],
};

describe('the architecture of src/', () => {
  const graph = importGraph();

  it('has no import cycle, type imports included', () => {
    assert.deepEqual(cycles(graph).map((c) => c.join(' → ')), []);
  });

  it('keeps each folder to the imports its README allows, and nothing imports the wiring or the command line', () => {
    const folders = folderGraph(graph);
    for (const [folder, to] of folders) {
      if (folder === '.' || folder === 'cli') continue;
      const allowed = new Set(ALLOWED[folder] ?? []);
      assert.ok(folder in ALLOWED, `a new folder ${folder}: add it to ALLOWED and give it a README.md`);
      for (const target of to) assert.ok(allowed.has(target), `${folder}/ imports ${target}/`);
    }
    for (const [file, targets] of graph) {
      if (folderOf(file) === 'cli' || file === 'index.ts') continue;
      for (const t of targets) assert.ok(folderOf(t) !== 'cli', `${file} imports the command line (${t})`);
      if (folderOf(file) === 'runtime') continue;
      for (const t of targets) assert.ok(folderOf(t) !== 'runtime', `${file} imports the wiring (${t})`);
    }
  });

  it('keeps the shared top-level modules shared, not wiring', () => {
    const top = readdirSync(SRC).filter((f) => f.endsWith('.ts'));
    assert.deepEqual(top.filter((f) => f !== 'index.ts' && !SHARED.has(f)), [], 'a loose top-level file: give it a room');
    for (const f of SHARED) for (const t of graph.get(f) ?? []) assert.ok(SHARED.has(t) || folderOf(t) === 'detect', `${f} imports ${t}`);
  });

  it('keeps detect/ pure: no file system, sockets or processes', () => {
    for (const file of sourceFiles(join(SRC, 'detect'))) {
      const text = readFileSync(file, 'utf8');
      assert.doesNotMatch(text, /from 'node:(?:fs|net|http|https|dns|child_process|cluster|os)/, relative(SRC, file));
    }
  });

  it('has no file over 300 lines', () => {
    const long = sourceFiles().map((f) => ({ f: relative(SRC, f), n: readFileSync(f, 'utf8').split('\n').length })).filter((x) => x.n > 300);
    assert.deepEqual(long, []);
  });

  it('gives no file name to three or more folders (index.ts, a folder\'s entry, aside)', () => {
    const folders = new Map<string, Set<string>>();
    for (const f of sourceFiles()) {
      const name = basename(f);
      if (name === 'index.ts') continue;
      folders.set(name, (folders.get(name) ?? new Set()).add(dirname(relative(SRC, f))));
    }
    assert.deepEqual([...folders].filter(([, dirs]) => dirs.size >= 3).map(([name, dirs]) => `${name}: ${[...dirs].join(', ')}`), []);
  });

  it('opens every folder with a README that says what it owns and what it may import', () => {
    for (const entry of readdirSync(SRC)) {
      const dir = join(SRC, entry);
      if (!statSync(dir).isDirectory()) continue;
      const readme = join(dir, 'README.md');
      assert.ok(existsSync(readme), `${entry}/ has no README.md`);
      const lines = readFileSync(readme, 'utf8').trim().split('\n');
      assert.ok(lines.length >= 2 && /may import/i.test(lines.join(' ')), `${entry}/README.md`);
    }
  });
});
