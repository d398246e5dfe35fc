import { JwtcheckError } from '../../src/errors.js';

/** Awaits a promise that must reject with a JwtcheckError, and returns that error for assertions. */
export async function rejection(promise: Promise<unknown>): Promise<JwtcheckError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(JwtcheckError);
    return err as JwtcheckError;
  }
  throw new Error('expected a rejection');
}
