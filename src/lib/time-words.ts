/**
 * Durations in the short words people read in a chat message: two units at most, rounded down,
 * so "expired 3 h 12 min ago" stays scannable. Sign is ignored: callers say "ago" or "in".
 */

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** A timeout as configured: 5000 → "5 s", 2500 → "2.5 s". */
export function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

export function durationInWords(ms: number): string {
  if (!Number.isFinite(ms)) return 'an unknown time';
  const abs = Math.abs(ms);
  if (abs < MINUTE_MS) return `${Math.floor(abs / SECOND_MS)} s`;
  if (abs < HOUR_MS) {
    const min = Math.floor(abs / MINUTE_MS);
    // Seconds only matter while the minutes are few (a token expiring in "1 min 30 s").
    const s = Math.floor((abs % MINUTE_MS) / SECOND_MS);
    return min < 5 && s > 0 ? `${min} min ${s} s` : `${min} min`;
  }
  if (abs < DAY_MS) {
    const h = Math.floor(abs / HOUR_MS);
    const min = Math.floor((abs % HOUR_MS) / MINUTE_MS);
    return min > 0 ? `${h} h ${min} min` : `${h} h`;
  }
  const d = Math.floor(abs / DAY_MS);
  const h = Math.floor((abs % DAY_MS) / HOUR_MS);
  return h > 0 ? `${d} d ${h} h` : `${d} d`;
}
