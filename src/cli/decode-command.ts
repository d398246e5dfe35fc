import type { CliIo } from './io.js';
import { JwtcheckError } from '../errors.js';
import { decodeToken, decodedAsJson, inspectToken, renderDecodedText } from '../token/index.js';
import { readStream } from './read-input.js';

/** `jwtcheck decode [JWT | -] [--json]`: header, claims, times in words, warnings. Exit 1 when malformed. */
export async function runDecode(args: { token?: string; json: boolean }, io: CliIo): Promise<number> {
  const fromStdin = args.token === undefined || args.token === '-';
  if (fromStdin && (io.stdin as { isTTY?: boolean }).isTTY) {
    throw new JwtcheckError('usage', 'Give the token as an argument, or pipe it in: pbpaste | jwtcheck decode -');
  }
  const raw = fromStdin ? await readStream(io.stdin) : (args.token ?? '');
  const evidence = decodeToken(raw);
  if (evidence.problem) {
    if (args.json) {
      io.stdout.write(`${JSON.stringify({ ok: false, problem: evidence.problem, fingerprint: evidence.fingerprint, warnings: evidence.warnings }, null, 2)}\n`);
    } else {
      io.stderr.write(`This is not a usable JWT: ${evidence.problem.message}\n`);
    }
    return 1;
  }
  const inspection = inspectToken(evidence, new Date());
  io.stdout.write(
    args.json
      ? `${JSON.stringify(decodedAsJson(inspection, evidence.fingerprint ?? ''), null, 2)}\n`
      : renderDecodedText(inspection, evidence.fingerprint ?? ''),
  );
  return 0;
}
