import type { stringify as yamlStringify } from 'yaml';
import type { OutputFormat } from './commands.js';

/** `-o json|yaml`: the same data either way (yaml is loaded only when asked for). */
export async function formatStructured(value: unknown, format: Exclude<OutputFormat, 'text'>): Promise<string> {
  if (format === 'json') return `${JSON.stringify(value, null, 2)}\n`;
  // yaml is CommonJS: Node's import() gives its exports as named and as default; the esbuild bundle's split
  // chunk gives them only as default. Reading default first works in both.
  const mod = (await import('yaml')) as unknown as { stringify: typeof yamlStringify; default?: { stringify: typeof yamlStringify } };
  const { stringify } = mod.default ?? mod;
  return stringify(value, { lineWidth: 0 });
}
