/**
 * The queue-mode app must not load the diagnosis code it never runs (engine, checks, evidence readers,
 * the Kubernetes client, undici): in-process mode reaches it through a dynamic import only
 * (src/app.ts → src/queue/in-process-setup.ts). This follows the static imports of src/app.ts, i.e.
 * what Node loads before the first line of startApp runs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = join(process.cwd(), 'src');
const FORBIDDEN_FILES = ['diagnose.ts', 'engine/', 'checks/', 'evidence/', 'job/runtime.ts', 'job/diagnosis-job.ts', 'queue/in-process.ts'];
const FORBIDDEN_PACKAGES = ['@kubernetes/client-node', 'undici'];

/** Static, value-level imports and re-exports; `import type` and `import(…)` are not loaded up front. */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [
    ...text.matchAll(/^\s*import\s+(?!type\s)[^'"();]*?from\s+'([^']+)'/gm),
    ...text.matchAll(/^\s*import\s+'([^']+)'/gm),
    ...text.matchAll(/^\s*export\s+(?!type\s)[^'"();]*?from\s+'([^']+)'/gm),
  ];
  return specs.map((m) => m[1] ?? '');
}

function loadedBy(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const stack = [entry];
  while (stack.length > 0) {
    const file = stack.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    for (const spec of staticImports(file)) {
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
        if (existsSync(target)) stack.push(target);
      } else if (!spec.startsWith('node:')) {
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? spec));
      }
    }
  }
  return { files, packages };
}

test('src/app.ts loads no diagnosis code, Kubernetes client or undici before in-process mode asks for it', () => {
  const { files, packages } = loadedBy(join(SRC, 'app.ts'));
  const rel = [...files].map((f) => relative(SRC, f).split('\\').join('/'));
  expect(rel).toContain('slack/listeners/index.ts'); // the walk does follow the app's imports
  const forbidden = rel.filter((f) => FORBIDDEN_FILES.some((p) => (p.endsWith('/') ? f.startsWith(p) : f === p)));
  expect(forbidden).toEqual([]);
  expect([...packages].filter((p) => FORBIDDEN_PACKAGES.includes(p))).toEqual([]);
  expect(packages).toContain('@slack/bolt');
});
