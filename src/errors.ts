import type { EvidenceErrorCode } from './model/index.js';

/**
 * The one error type that crosses module boundaries. `message` is a sentence for the user
 * (what is wrong and what to do); it never contains a token or a stack trace.
 */
export class JwtcheckError extends Error {
  constructor(
    readonly code: EvidenceErrorCode | 'usage' | 'config',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'JwtcheckError';
  }
}

export const isJwtcheckError = (err: unknown): err is JwtcheckError => err instanceof JwtcheckError;
