/**
 * Live progress without tripping Slack's limits (chat.update is about 50/min per workspace): at most one
 * update per interval, the latest state wins, and `flush()` waits for whatever is in flight so the final
 * update can never be overtaken by a stale progress one.
 */
export interface Throttled<T> {
  push(value: T): void;
  /** Stops scheduling and waits for an update in flight; the pending value is dropped. */
  stop(): Promise<void>;
}

export function throttle<T>(send: (value: T) => Promise<void>, intervalMs: number, now: () => number = Date.now): Throttled<T> {
  let last = 0;
  let pending: { value: T } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let stopped = false;

  const fire = (): void => {
    timer = undefined;
    if (stopped || !pending || inFlight) return;
    const { value } = pending;
    pending = undefined;
    last = now();
    inFlight = send(value)
      .catch(() => undefined) // progress is best effort; the final update reports the outcome
      .finally(() => {
        inFlight = undefined;
        if (pending && !stopped) schedule();
      });
  };
  const schedule = (): void => {
    if (timer || stopped) return;
    const wait = Math.max(0, last + intervalMs - now());
    timer = setTimeout(fire, wait);
    timer.unref();
  };
  return {
    push(value) {
      if (stopped) return;
      pending = { value };
      schedule();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      pending = undefined;
      await inFlight;
    },
  };
}
