/**
 * Live progress for a diagnosis on a terminal: one line on stderr, rewritten in place
 * (`7/22 checks · waiting for issuer … 3 s`) and erased before the report is printed. Nothing at all when
 * stderr is not a terminal, so piped and redirected output stays exactly the report.
 */
import type { CheckResult } from '../engine/check.js';
import type { DiagnoseProgress } from '../diagnose.js';
import type { EvidenceSlotName } from '../model/index.js';
import { EVIDENCE_SLOTS } from '../model/index.js';

const SLOT_WORDS: Record<EvidenceSlotName, string> = {
  service: 'the Service',
  namespace: 'the namespace',
  pods: 'pods',
  istio: 'istiod',
  policies: 'policies',
  issuers: 'issuer',
  proxyLogs: 'proxy logs',
  istiodLogs: 'istiod logs',
};
const ERASE_LINE = '\r\u001b[2K';
const TICK_MS = 1_000;

export interface ProgressCheck {
  id: string;
  needs: readonly EvidenceSlotName[];
}

export interface ProgressLine {
  onResult(result: CheckResult, progress: DiagnoseProgress): void;
  /** Erases the line; call before writing the report. */
  stop(): void;
}

/** What the checks not yet done are waiting for: slots no finished check needed (so not known yet). */
export function waitingFor(checks: readonly ProgressCheck[], doneIds: ReadonlySet<string>): string[] {
  const known = new Set(checks.filter((c) => doneIds.has(c.id)).flatMap((c) => c.needs));
  const pending = new Set(checks.filter((c) => !doneIds.has(c.id)).flatMap((c) => c.needs));
  return EVIDENCE_SLOTS.filter((slot) => pending.has(slot) && !known.has(slot)).map((slot) => SLOT_WORDS[slot]);
}

export function progressLine(stream: NodeJS.WritableStream & { isTTY?: boolean }, checks: readonly ProgressCheck[]): ProgressLine | undefined {
  if (!stream.isTTY) return undefined;
  const started = Date.now();
  const done = new Set<string>();
  const draw = () => {
    const waiting = waitingFor(checks, done).slice(0, 2);
    const seconds = Math.round((Date.now() - started) / 1000);
    const tail = waiting.length > 0 ? ` · waiting for ${waiting.join(', ')} …` : ' …';
    stream.write(`${ERASE_LINE}${done.size}/${checks.length} checks${tail}${seconds > 0 ? ` ${seconds} s` : ''}`);
  };
  draw();
  const timer = setInterval(draw, TICK_MS);
  timer.unref();
  return {
    onResult(result) {
      done.add(result.id);
      draw();
    },
    stop() {
      clearInterval(timer);
      stream.write(ERASE_LINE);
    },
  };
}
