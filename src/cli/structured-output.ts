import type { OutputFormat } from './commands.js';

/** `-o json|yaml`: the same data either way (yaml is loaded only when asked for). */
export async function formatStructured(value: unknown, format: Exclude<OutputFormat, 'text'>): Promise<string> {
  if (format === 'json') return `${JSON.stringify(value, null, 2)}\n`;
  const { stringify } = await import('yaml');
  return stringify(value, { lineWidth: 0 });
}
