import { readFile } from 'node:fs/promises';
import { JwtcheckError } from '../errors.js';

/** A token is at most a few KiB; anything far larger is not a token and is not read whole. */
export const MAX_TOKEN_INPUT_BYTES = 1024 * 1024;

export async function readStream(stream: NodeJS.ReadableStream, maxBytes = MAX_TOKEN_INPUT_BYTES): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > maxBytes) {
      throw new JwtcheckError('too-large', `The input is larger than ${maxBytes / 1024} KiB: that is not a token.`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `--token-file PATH|-`: the file's text, or standard input for "-". */
export async function readTokenFile(path: string, stdin: NodeJS.ReadableStream): Promise<string> {
  if (path === '-') return readStream(stdin);
  try {
    const text = await readFile(path);
    if (text.length > MAX_TOKEN_INPUT_BYTES) {
      throw new JwtcheckError('too-large', `${path} is larger than ${MAX_TOKEN_INPUT_BYTES / 1024} KiB: that is not a token.`);
    }
    return text.toString('utf8');
  } catch (err) {
    if (err instanceof JwtcheckError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new JwtcheckError(
      'usage',
      code === 'ENOENT' ? `Token file ${path} does not exist.` : `Cannot read token file ${path} (${code ?? 'unknown error'}).`,
    );
  }
}
