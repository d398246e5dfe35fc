/**
 * Tokens travel through Redis only sealed: AES-256-GCM under JOB_ENCRYPTION_KEY, a fresh 12-byte IV each
 * time, format `v1.<iv>.<tag>.<ciphertext>` (base64url). GCM's tag makes tampering or a wrong key an
 * error instead of garbage.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { JwtcheckError } from '../errors.js';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

export function sealToken(token: string, key: Buffer): string {
  assertKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [VERSION, iv.toString('base64url'), tag.toString('base64url'), ciphertext.toString('base64url')].join('.');
}

export function unsealToken(sealed: string, key: Buffer): string {
  assertKey(key);
  const parts = sealed.split('.');
  const [version, ivText, tagText, dataText] = parts;
  if (parts.length !== 4 || version !== VERSION || !ivText || !tagText || dataText === undefined) {
    throw new JwtcheckError('invalid', 'The sealed token in the job has an unknown format: run the check again.');
  }
  const iv = Buffer.from(ivText, 'base64url');
  const tag = Buffer.from(tagText, 'base64url');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
    throw new JwtcheckError('invalid', 'The sealed token in the job has an unknown format: run the check again.');
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(Buffer.from(dataText, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new JwtcheckError(
      'invalid',
      'The token in the job could not be unsealed: the app and the worker must share the same JOB_ENCRYPTION_KEY. Fix the key and send the token again.',
    );
  }
}

export function isSealedToken(value: string): boolean {
  return /^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(value);
}

function assertKey(key: Buffer): void {
  if (key.length !== KEY_BYTES) throw new JwtcheckError('config', `JOB_ENCRYPTION_KEY must be ${KEY_BYTES} bytes.`);
}
