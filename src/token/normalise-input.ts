/**
 * Turns what a person pasted into the compact token they meant: people paste the whole
 * `Authorization: Bearer …` header, the `Bearer ` word, quotes from a curl command, or a token
 * wrapped over several terminal lines. Each repair is reported as a warning, never silently done.
 * Warnings never quote the input.
 */

export interface NormalisedInput {
  token: string;
  warnings: string[];
  /** The text carried a `Bearer ` scheme word. */
  hadBearerPrefix: boolean;
}

const HEADER_LINE = /^(?:-H\s+)?["']?\s*authorization\s*:\s*/i;
const BEARER_WORD = /^bearer(?:\s+|$)/i;
const QUOTES = /^(["'])([\s\S]*)\1$/;

export function normaliseInput(raw: string): NormalisedInput {
  const warnings: string[] = [];
  let text = raw.trim();
  let hadBearerPrefix = false;

  const quoted = QUOTES.exec(text);
  if (quoted) text = (quoted[2] ?? '').trim();

  if (HEADER_LINE.test(text)) {
    text = text.replace(HEADER_LINE, '').replace(/["']\s*$/, '').trim();
    warnings.push('The whole "Authorization:" header line was pasted; only the token after "Bearer " was used.');
  }
  if (BEARER_WORD.test(text)) {
    hadBearerPrefix = true;
    text = text.replace(BEARER_WORD, '').trim();
    if (warnings.length === 0) {
      warnings.push('The token was pasted with its "Bearer " prefix; the prefix was removed. It belongs in the header, not in the token.');
    }
  }
  if (/\s/.test(text)) {
    const joined = text.replace(/\s+/g, '');
    // Only join when the pieces look like one wrapped token, not several words.
    if (/^[A-Za-z0-9_\-.+/=]+$/.test(joined)) {
      text = joined;
      warnings.push('Line breaks or spaces inside the token were removed (a wrapped copy-paste?).');
    }
  }
  return { token: text, warnings, hadBearerPrefix };
}
