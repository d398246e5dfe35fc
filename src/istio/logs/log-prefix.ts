/**
 * `kubectl logs --timestamps` puts an RFC 3339 time with nanoseconds before every line; the bot's own
 * reads may ask for it too. Strip it so one parser handles both.
 */
const KUBECTL_TIMESTAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d))\s+/;

export function stripKubectlTimestamp(line: string): { line: string; timestamp?: string } {
  const m = KUBECTL_TIMESTAMP.exec(line);
  if (!m || m[1] === undefined) return { line };
  const rest = line.slice(m[0].length);
  // istiod lines start with their own time (`<time>\t<level>…`): that one is not a kubectl prefix.
  // Strip only when what follows is itself a log line: `[` (Envoy), `{` (JSON) or another time.
  if (!/^(?:\[|\{|\d{4}-\d\d-\d\dT)/.test(rest)) return { line };
  return { line: rest, timestamp: m[1] };
}

/** Splits text into lines without keeping a copy of each (callers stream over the result). */
export function* linesOf(text: string): Generator<string> {
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const line = text.slice(start, end).replace(/\r$/, '');
    start = end + 1;
    yield line;
  }
}
