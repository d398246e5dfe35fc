import { readFile } from 'node:fs/promises';
import { JwtcheckError } from '../errors.js';
import { parseAccessPolicy, type AccessPolicy } from './access.js';

/** Reads JWTCHECK_ACCESS_FILE once at start; a broken file stops the app rather than allowing everything. */
export async function loadAccessPolicy(path: string | undefined): Promise<AccessPolicy | undefined> {
  if (!path) return undefined;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new JwtcheckError('config', `JWTCHECK_ACCESS_FILE ${path} cannot be read (${code}): fix the path or unset the variable.`);
  }
  return parseAccessPolicy(text, `JWTCHECK_ACCESS_FILE ${path}`);
}
