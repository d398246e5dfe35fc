/**
 * The refusal timeline in words and as a sparkline, the same in Slack and in the terminal:
 * "401s since 14:04 UTC, 38 % of requests, still ongoing; 2 min after RequestAuthentication foo/jwt-example
 * was updated at 14:02 UTC" and "▁▁▁▂▅▇█ 14:01–14:09 UTC".
 */
import type { RefusalTimeline } from '../model/index.js';

const BARS = ['▂', '▃', '▄', '▅', '▆', '▇', '█'] as const;
const NONE = '▁';

/** One line for the top of a report; undefined when the log span shows no refusal. */
export function timelineHeadline(timeline: RefusalTimeline | undefined): string | undefined {
  const run = timeline?.run;
  if (!timeline || !run) return undefined;
  const clock = clockFor(timeline);
  const codes = run.codes.map((c) => `${c}s`).join(' and ') || 'Refusals';
  const since = run.sinceKnown
    ? `since ${clock(run.since)}`
    : `since ${clock(run.since)} or earlier (the log tail starts there)`;
  const state = run.ongoing ? 'still ongoing' : `none after ${clock(run.until)}`;
  let line = `${codes} ${since}, ${run.sharePercent} % of requests, ${state}`;
  const trigger = timeline.likelyTrigger;
  if (trigger?.change.at) {
    const gap = trigger.minutesBefore === 0 ? 'right after' : `${trigger.minutesBefore} min after`;
    line += `; ${gap} ${trigger.change.what} at ${clock(trigger.change.at)}`;
  }
  return line;
}

/** Refusals per bucket, scaled to the busiest bucket; ▁ where there was none. */
export function sparkline(timeline: RefusalTimeline): string {
  const max = Math.max(0, ...timeline.buckets.map((b) => b.refusals));
  return timeline.buckets
    .map((b) => (b.refusals === 0 || max === 0 ? NONE : BARS[Math.min(BARS.length - 1, Math.ceil((b.refusals / max) * BARS.length) - 1)]))
    .join('');
}

/** The sparkline with the span it covers, for the proxy.responses entry; undefined without refusals. */
export function sparklineLine(timeline: RefusalTimeline | undefined): string | undefined {
  if (!timeline?.run) return undefined;
  const clock = clockFor(timeline);
  const size = timeline.bucketSeconds === 60 ? 'per minute' : `per ${timeline.bucketSeconds / 60} min`;
  return `${sparkline(timeline)} refusals ${size}, ${clock(timeline.coveredFrom).replace(/ UTC$/, '')}–${clock(timeline.coveredTo)} (the span the log tail covers)`;
}

/** HH:MM UTC, with the date when the span crosses midnight. */
function clockFor(timeline: RefusalTimeline): (iso: string) => string {
  const oneDay = timeline.coveredFrom.slice(0, 10) === timeline.coveredTo.slice(0, 10);
  return (iso) => (oneDay ? `${iso.slice(11, 16)} UTC` : `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`);
}
