/**
 * The import graph of `src/`, read from the sources (every `import` and `export ... from`, type
 * imports included), for the architecture tests and `npx tsx test/architecture/graph.ts`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

export function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"](\.[^'"]+)['"]/g;
const BARE_IMPORT = /(?:^|\n)\s*import\s+['"](\.[^'"]+)['"]/g;

/** file (relative to src) → the src files it imports (relative), resolved from `.js` specifiers. */
export function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles()) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(IMPORT), ...text.matchAll(BARE_IMPORT)].map((m) => m[1]!)
      .filter((spec) => spec.endsWith('.js'))
      .map((spec) => relative(SRC, resolve(dirname(file), spec.replace(/\.js$/, '.ts'))));
    graph.set(relative(SRC, file), [...new Set(targets)]);
  }
  return graph;
}

/** Every cycle of files, each once (as the list of files from its smallest member). */
export function cycles(graph: Map<string, string[]>): string[][] {
  const found = new Map<string, string[]>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const done = new Set<string>();
  const visit = (node: string): void => {
    if (done.has(node)) return;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (onStack.has(next)) {
        const cycle = stack.slice(stack.indexOf(next));
        const start = cycle.indexOf([...cycle].sort()[0]!);
        const key = [...cycle.slice(start), ...cycle.slice(0, start)];
        found.set(key.join(' → '), key);
      } else visit(next);
    }
    stack.pop();
    onStack.delete(node);
    done.add(node);
  };
  for (const node of graph.keys()) visit(node);
  return [...found.values()];
}

/** The folder of a src file (`proxy`, `notify`, `.` for top-level files). */
export function folderOf(file: string): string {
  const d = dirname(file);
  return d === '.' ? '.' : d.split('/')[0]!;
}

/** folder → folders it imports from. */
export function folderGraph(graph: Map<string, string[]>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const [file, targets] of graph) {
    const from = folderOf(file);
    const set = out.get(from) ?? new Set<string>();
    for (const t of targets) if (folderOf(t) !== from) set.add(folderOf(t));
    out.set(from, set);
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const graph = importGraph();
  const folders = folderGraph(graph);
  const arrows = [...folders.values()].reduce((n, s) => n + s.size, 0);
  process.stdout.write(`${graph.size} files, ${folders.size} folders, ${arrows} arrows between folders, ${cycles(graph).length} cycles\n`);
  for (const c of cycles(graph)) process.stdout.write(`  cycle: ${c.join(' → ')}\n`);
  for (const [f, to] of [...folders].sort()) process.stdout.write(`  ${f} → ${[...to].sort().join(', ')}\n`);
}
