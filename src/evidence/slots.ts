/** Turning reads into evidence slots: a failed read becomes a reason in words, never an exception. */
import { isJwtcheckError } from '../errors.js';
import { missing, present, type Slot } from '../model/index.js';

/** Turns a read into a slot: resolved value, or the reason it failed in words. */
export async function settle<T>(read: () => Promise<T>): Promise<Slot<T>> {
  try {
    return present(await read());
  } catch (err) {
    if (isJwtcheckError(err) && err.code !== 'usage' && err.code !== 'config') {
      return missing(err.code, err.message);
    }
    return missing('internal', `Unexpected failure: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Chains slots: when the input failed, the output fails with the same reason. */
export async function then<A, B>(input: Promise<Slot<A>>, next: (value: A) => Promise<B> | B): Promise<Slot<B>> {
  const slot = await input;
  if (!slot.ok) return slot;
  return settle(async () => next(slot.value));
}

/** Log readers return a slot of their own when there is nothing to read; unwrap it. */
export function flattenUnavailable<T>(slot: Slot<Slot<T>>): Slot<T> {
  return slot.ok ? slot.value : slot;
}

