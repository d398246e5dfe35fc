/**
 * One JWT-shape detector for the logger, the log-line redactor and the Slack parser: what one of them
 * treats as a token, the others do too (they had three regexes with different thresholds).
 */
import { PassThrough } from 'node:stream';
import { looksLikeJwt } from '../../src/lib/jwt-shape.js';
import { createLogger, maskSecrets } from '../../src/lib/logger.js';
import { redactLine } from '../../src/lib/redact.js';
import { containsToken } from '../../src/slack/parse-command.js';

const SAMPLES = [
  // a whole JWS
  'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl',
  // short parts: the Slack parser needed 8 characters per part, the logger 4
  'eyJhbGciOi.eyJzdWI.c2ln',
  // a fragment cut at the first dot (a truncated paste, a wrapped log line): the logger needed a dot
  'eyJhbGciOiJSUzI1NiJ9',
  // a JWE's five parts
  'eyJhbGciOiJSU0EtT0FFUCJ9.a2V5.aXY.Y2lwaGVy.dGFn',
];

describe('the JWT-shape detector is shared', () => {
  it.each(SAMPLES)('%s is a token to the logger, the redactor and the Slack parser', (sample) => {
    expect(looksLikeJwt(sample)).toBe(true);
    expect(maskSecrets(`failed: ${sample} end`)).toBe('failed: [jwt redacted] end');
    expect(redactLine(`GET /x?t=${sample} 401`)).not.toContain(sample.slice(0, 12));
    expect(containsToken(`httpbin foo ${sample}`)).toBe(true);
  });

  it('the logger masks each shape in any field', () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    const logger = createLogger('t', { destination: out, format: 'json' });
    for (const sample of SAMPLES) logger.info({ detail: `x ${sample}` }, `msg ${sample}`);
    for (const sample of SAMPLES) expect(text).not.toContain(sample.slice(0, 12));
  });

  it('ordinary words are not tokens', () => {
    for (const word of ['httpbin.foo.svc.cluster.local', 'eyJ', 'keyJunk', 'Bearer']) expect(looksLikeJwt(word)).toBe(false);
  });
});
