import { constants } from 'node:os';

/**
 * Graceful stop for `jwtcheck app` and `jwtcheck worker`. Kubernetes sends SIGTERM, waits
 * terminationGracePeriodSeconds (60 in manifests/), then SIGKILLs. Within that window the handlers run
 * in the order given, typically: stop taking work (close the HTTP receiver / `worker.close()`, which
 * waits for running jobs), then close Redis. A job killed half-way is not lost (BullMQ re-runs it as
 * stalled) but its Slack thread is left half-written, so waiting for it is worth the seconds.
 */

export type ShutdownHandler = () => Promise<void>;

/** Structurally a pino Logger; kept minimal so tests can pass a stub. */
export interface ShutdownLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ShutdownOptions {
  /** Upper bound for all handlers together; below the pods' 60 s grace period so we exit before SIGKILL. */
  timeoutMs?: number;
  logger?: ShutdownLogger;
  signals?: NodeJS.Signals[];
  /** For tests; defaults to process.exit. */
  exit?: (code: number) => void;
}

export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 50_000;
const DEFAULT_SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

export const EXIT_CLEAN = 0;
export const EXIT_UNCLEAN = 1;

/**
 * Installs the signal handlers. First signal: run the handlers, then exit 0, or 1 when a handler failed
 * or the timeout passed. Second signal: exit at once with 128 + signal number (the shell's convention),
 * for the impatient Ctrl-C.
 */
export function onShutdown(handlers: ShutdownHandler[], options: ShutdownOptions = {}): void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signals = options.signals ?? DEFAULT_SIGNALS;
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      options.logger?.warn({ signal }, 'second signal: exiting without waiting');
      exit(128 + (constants.signals[signal] ?? 0));
      return;
    }
    stopping = true;
    options.logger?.info({ signal }, 'shutting down');
    void runShutdown(handlers, options).then(exit);
  };
  for (const signal of signals) process.on(signal, onSignal);
}

/** Runs the handlers in order within timeoutMs and resolves to the exit code. Never rejects. */
export async function runShutdown(handlers: ShutdownHandler[], options: Pick<ShutdownOptions, 'timeoutMs' | 'logger'> = {}): Promise<number> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
  const logger = options.logger;
  let failed = false;
  const sequence = (async () => {
    for (const [index, handler] of handlers.entries()) {
      try {
        await handler();
      } catch (err) {
        // Keep going: a failed `worker.close()` must not leave the Redis connection open.
        failed = true;
        logger?.error({ err, handler: index }, 'shutdown step failed');
      }
    }
  })();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const outcome = await Promise.race([sequence.then(() => 'done' as const), timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    logger?.warn({ timeoutMs }, 'shutdown timed out: exiting with work still running (BullMQ will re-run stalled jobs)');
    return EXIT_UNCLEAN;
  }
  if (failed) return EXIT_UNCLEAN;
  logger?.info({}, 'shutdown complete');
  return EXIT_CLEAN;
}
