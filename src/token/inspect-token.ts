/**
 * What `jwtcheck decode` and the DM reply show about a token: header, claims, the three times in
 * words and every warning. Time-dependent warnings are made here, against the caller's `now`,
 * because the evidence itself is gathered without a clock.
 */
import type { TokenEvidence } from '../model/index.js';
import { durationInWords } from '../lib/time-words.js';
import { timeWarnings } from './token-warnings.js';

export type TimeClaim = 'exp' | 'nbf' | 'iat';

export interface TokenTime {
  name: TimeClaim;
  /** ISO 8601. */
  at: string;
  /** e.g. "expired 3 h 12 min ago", "expires in 42 min", "issued 5 min ago". */
  inWords: string;
}

export interface TokenInspection {
  header: Record<string, unknown> | undefined;
  claims: Record<string, unknown> | undefined;
  times: TokenTime[];
  warnings: string[];
}

const MS_PER_S = 1000;
/** Date's own limit (±8.64e15 ms): beyond it toISOString throws. */
const MAX_DATE_MS = 8.64e15;

function phrase(name: TimeClaim, deltaMs: number): string {
  const words = durationInWords(deltaMs);
  const past = deltaMs <= 0;
  switch (name) {
    case 'exp':
      return past ? `expired ${words} ago` : `expires in ${words}`;
    case 'nbf':
      return past ? `valid since ${words} ago` : `not valid for another ${words}`;
    case 'iat':
      return past ? `issued ${words} ago` : `issued ${words} in the future`;
  }
}

export function inspectToken(ev: TokenEvidence, now: Date): TokenInspection {
  const claims = ev.claims;
  const times: TokenTime[] = [];
  if (claims) {
    for (const name of ['exp', 'nbf', 'iat'] as const) {
      const v = claims[name];
      if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v * MS_PER_S) > MAX_DATE_MS) continue;
      const atMs = v * MS_PER_S;
      times.push({ name, at: new Date(atMs).toISOString(), inWords: phrase(name, atMs - now.getTime()) });
    }
  }
  const warnings = [...ev.warnings];
  if (claims) {
    for (const w of timeWarnings(claims, now)) if (!warnings.includes(w)) warnings.push(w);
  }
  return { header: ev.header, claims, times, warnings };
}
