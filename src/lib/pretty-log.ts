/**
 * The human form of the logger's lines, for a terminal: `10:01:22.551 INFO  jwtcheck-app: message key=value`.
 * A pino destination that reformats each JSON line it is given (after redaction, so nothing unmasked reaches
 * it); a dozen lines instead of pino-pretty and its worker thread.
 */
const LEVELS: Record<number, [name: string, colour: string]> = {
  10: ['TRACE', '\u001b[90m'],
  20: ['DEBUG', '\u001b[36m'],
  30: ['INFO ', '\u001b[32m'],
  40: ['WARN ', '\u001b[33m'],
  50: ['ERROR', '\u001b[31m'],
  60: ['FATAL', '\u001b[35m'],
};
const OMITTED = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg']);

export function formatLogLine(json: string, color: boolean): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const [level, colour] = LEVELS[Number(entry['level'])] ?? [String(entry['level']), ''];
  const time = typeof entry['time'] === 'number' ? new Date(entry['time']).toISOString().slice(11, 23) : '';
  const fields = Object.entries(entry)
    .filter(([key]) => !OMITTED.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' && !/\s/.test(value) ? value : JSON.stringify(value)}`);
  const head = color ? `${colour}${level}\u001b[0m` : level;
  const name = typeof entry['name'] === 'string' ? `${entry['name']}: ` : '';
  return `${time} ${head} ${name}${String(entry['msg'] ?? '')}${fields.length > 0 ? ` ${fields.join(' ')}` : ''}\n`;
}

/** A destination for pino that writes the pretty form of every line to `target`. */
export function prettyDestination(target: NodeJS.WritableStream & { isTTY?: boolean }, color = Boolean(target.isTTY)): { write(line: string): boolean } {
  return { write: (line: string) => target.write(formatLogLine(line, color)) };
}

/** LOG_FORMAT wins; otherwise pretty on a terminal, JSON (for collectors) everywhere else. */
export function logFormat(env: Record<string, string | undefined>, destination: { isTTY?: boolean }): 'json' | 'pretty' {
  const chosen = env['LOG_FORMAT']?.toLowerCase();
  if (chosen === 'json' || chosen === 'pretty') return chosen;
  return destination.isTTY ? 'pretty' : 'json';
}
