import { statSync } from 'node:fs';
import type { CliIo } from './io.js';
import type { OutputFormat } from './commands.js';
import { JwtcheckError } from '../errors.js';
import { looksLikeJwt } from '../lib/jwt-shape.js';
import { decodeToken, decodedAsJson, inspectToken, renderDecodedText } from '../token/index.js';
import { readStream, readTokenFile } from './read-input.js';
import { formatStructured } from './structured-output.js';

/** The argument names a file when it is not shaped like a token and a regular file of that name exists. */
function isTokenFile(arg: string): boolean {
  if (looksLikeJwt(arg)) return false;
  try {
    return statSync(arg).isFile();
  } catch {
    return false;
  }
}

/** Written like a path (a slash, or a file extension) and not like a token. */
const PATH_LIKE = /\/|\.(jwt|txt|token)$/i;

async function readToken(arg: string | undefined, io: CliIo): Promise<string> {
  if (arg !== undefined && arg !== '-') {
    if (isTokenFile(arg)) return readTokenFile(arg, io.stdin);
    if (!looksLikeJwt(arg) && PATH_LIKE.test(arg)) throw new JwtcheckError('usage', `${arg} is neither a token nor a file that exists: check the path.`);
    return arg;
  }
  if ((io.stdin as { isTTY?: boolean }).isTTY) {
    throw new JwtcheckError('usage', 'Give the token as an argument or a file, or pipe it in: pbpaste | jwtcheck decode -');
  }
  return readStream(io.stdin);
}

/** `jwtcheck decode [JWT | FILE | -] [-o text|json|yaml]`: header, claims, times in words, warnings. Exit 1 when malformed. */
export async function runDecode(args: { token?: string; output: OutputFormat }, io: CliIo): Promise<number> {
  const evidence = decodeToken(await readToken(args.token, io));
  if (evidence.problem) {
    if (args.output !== 'text') {
      io.stdout.write(await formatStructured({ ok: false, problem: evidence.problem, fingerprint: evidence.fingerprint, warnings: evidence.warnings }, args.output));
    } else {
      io.stderr.write(`This is not a usable JWT: ${evidence.problem.message}\n`);
    }
    return 1;
  }
  const inspection = inspectToken(evidence, new Date());
  io.stdout.write(
    args.output !== 'text'
      ? await formatStructured(decodedAsJson(inspection, evidence.fingerprint ?? ''), args.output)
      : renderDecodedText(inspection, evidence.fingerprint ?? ''),
  );
  return 0;
}
