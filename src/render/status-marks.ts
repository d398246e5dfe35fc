import type { CheckStatus } from '../engine/check.js';

/** DESIGN §7: the status marks, shared by Slack and the terminal. */
export const STATUS_MARKS: Record<CheckStatus, string> = {
  pass: '✅',
  fail: '❌',
  warn: '⚠️',
  skip: '⏭️',
  error: '🛑',
};
