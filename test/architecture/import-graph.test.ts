/**
 * The rooms of src/ and the one direction imports may run (CONTRIBUTING.md):
 * entry points → slack → queue → job → diagnose → evidence → checks/token → istio → engine/render/lib → model.
 * A file may import from its own room or from a room further down, never up, and the graph has no circle.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = join(process.cwd(), 'src');

/** Lower number = further down. Rooms sharing a number may import each other only without a circle. */
const ROOMS: ReadonlyArray<readonly [prefix: string, rank: number]> = [
  ['model/', 0],
  ['lib/', 1],
  ['errors.ts', 1],
  ['config.ts', 1],
  ['metrics.ts', 1],
  ['health/', 1],
  ['shutdown.ts', 1],
  ['engine/', 2],
  ['render/', 3],
  ['istio/', 4],
  ['token/', 5],
  ['checks/', 6],
  ['evidence/', 7],
  ['diagnose.ts', 8],
  ['job/', 9],
  ['store/', 10],
  ['queue/', 10],
  ['slack/', 11],
  ['app.ts', 12],
  ['worker.ts', 12],
  ['diagnosis-thread.ts', 12],
  ['cli/', 12],
  ['cli.ts', 12],
  ['kubectl-jwtcheck.ts', 12],
];

function roomOf(file: string): readonly [string, number] {
  const rel = relative(SRC, file).split('\\').join('/');
  const room = ROOMS.find(([prefix]) => (prefix.endsWith('/') ? rel.startsWith(prefix) : rel === prefix));
  if (!room) throw new Error(`src/${rel} sits in no room: add it to ROOMS here and to CONTRIBUTING.md`);
  return room;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Relative imports, static and dynamic, type-only ones included (they still tie the rooms together). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1] ?? '');
  return specs.map((spec) => resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
}

/** Edges that run up the layering, as "from (room) → to (room)". */
function upwardImports(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const upward: string[] = [];
  for (const [file, imports] of graph) {
    const [fromRoom, fromRank] = roomOf(file);
    for (const target of imports) {
      const [toRoom, toRank] = roomOf(target);
      if (toRank > fromRank) upward.push(`${relative(SRC, file)} (${fromRoom}) → ${relative(SRC, target)} (${toRoom})`);
    }
  }
  return upward;
}

/** Every circle found by a depth-first walk, as "a → b → a". */
function circles(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const state = new Map<string, 'open' | 'done'>();
  const found: string[] = [];
  const visit = (file: string, path: string[]): void => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      found.push([...path.slice(path.indexOf(file)), file].map((f) => relative(SRC, f)).join(' → '));
      return;
    }
    state.set(file, 'open');
    for (const target of graph.get(file) ?? []) visit(target, [...path, file]);
    state.set(file, 'done');
  };
  for (const file of graph.keys()) visit(file, []);
  return found;
}

const files = sourceFiles(SRC);
const graph = new Map(files.map((f) => [f, importsOf(f)]));

describe('architecture: rooms and the direction of imports', () => {
  it('every source file sits in a room', () => {
    for (const file of files) expect(() => roomOf(file)).not.toThrow();
  });

  it('no import runs up the layering', () => {
    expect(upwardImports(graph)).toEqual([]);
  });

  it('the import graph has no circle', () => {
    expect(circles(graph)).toEqual([]);
  });

  it('the rules catch what they are for: an upward import and a circle', () => {
    const at = (path: string): string => join(SRC, path);
    const bad = new Map([
      [at('model/a.ts'), [at('slack/b.ts')]],
      [at('slack/b.ts'), [at('model/a.ts')]],
    ]);
    expect(upwardImports(bad)).toEqual(['model/a.ts (model/) → slack/b.ts (slack/)']);
    expect(circles(bad)).toEqual(['model/a.ts → slack/b.ts → model/a.ts']);
  });
});
