/**
 * What reaches the log output (DESIGN §8: tokens are never logged). Each case logs a secret the way a
 * careless call site would, then searches the raw output for the secret itself.
 */
import { Writable } from 'node:stream';
import { createLogger } from '../../src/lib/logger.js';

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
// A real-looking RS256 token: header, claims, and 342 characters of signature.
const JWT = [
  b64url({ alg: 'RS256', kid: 'k1', typ: 'JWT' }),
  b64url({ iss: 'https://issuer.example', sub: 'alice', aud: 'httpbin', exp: 4102444800 }),
  Buffer.alloc(256, 0x5a).toString('base64url'),
].join('.');
const SIGNATURE = JWT.split('.')[2] as string;
const OPAQUE = 'ya29.a0AfH6SMBx3opaque-access-token-value';
const BOT_TOKEN = 'xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx';
const APP_TOKEN = 'xapp-1-A111-222-abcdef0123456789';
const SIGNING_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';

function capture(): { logger: ReturnType<typeof createLogger>; output: () => string } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger('test', { level: 'trace', destination }), output: () => chunks.join('') };
}

function expectClean(text: string): void {
  for (const secret of [JWT, SIGNATURE, SIGNATURE.slice(0, 40), OPAQUE, BOT_TOKEN, APP_TOKEN, SIGNING_SECRET]) {
    expect(text).not.toContain(secret);
  }
}

describe('createLogger redaction', () => {
  it('still logs ordinary fields and messages', () => {
    const { logger, output } = capture();
    logger.info({ service: 'httpbin', namespace: 'foo' }, 'diagnosis started');
    const line = JSON.parse(output()) as Record<string, unknown>;
    expect(line).toMatchObject({ service: 'httpbin', namespace: 'foo', msg: 'diagnosis started', name: 'test' });
  });

  it('hides a JWT in a field named token, in a field with any other name, and in the message', () => {
    const { logger, output } = capture();
    logger.info({ token: JWT }, 'token field');
    logger.info({ job: { token: JWT } }, 'nested token field');
    logger.info({ pasted: JWT, lines: [`got ${JWT}`] }, 'other names');
    logger.warn(`user pasted ${JWT} in #general`);
    logger.info('printf style %s', JWT);
    const text = output();
    expectClean(text);
    expect(text).toContain('[redacted]');
    expect(text).toContain('[jwt redacted]');
    expect(text.trim().split('\n')).toHaveLength(5);
  });

  it('hides an Authorization: Bearer header as a field and inside a message string', () => {
    const { logger, output } = capture();
    logger.info({ headers: { authorization: `Bearer ${OPAQUE}` } }, 'request headers');
    logger.info({ req: { headers: { authorization: `Bearer ${OPAQUE}` } } }, 'nested headers');
    logger.info({ authorization: `Bearer ${JWT}` }, 'bare field');
    logger.info(`upstream answered 401 to "Authorization: Bearer ${OPAQUE}"`);
    logger.info({ detail: `curl -H 'Authorization: Bearer ${OPAQUE}' https://svc` }, 'command');
    const text = output();
    expectClean(text);
    expect(text).toContain('Bearer [redacted]');
  });

  it('hides Slack tokens and the signing secret', () => {
    const { logger, output } = capture();
    logger.info({ signingSecret: SIGNING_SECRET }, 'config');
    logger.info({ slack: { signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN, appToken: APP_TOKEN } }, 'nested config');
    logger.info({ client: BOT_TOKEN }, 'field with another name');
    logger.error(`auth.test failed for ${BOT_TOKEN}`);
    const text = output();
    expectClean(text);
    expect(text).toContain('[slack token redacted]');
  });

  // REDACTED_PATHS only reach one level down; the logger also redacts secret-named keys at any depth.
  it('hides the signing secret two levels down (logging the whole config)', () => {
    const { logger, output } = capture();
    logger.info({ config: { slack: { signingSecret: SIGNING_SECRET } } }, 'config loaded');
    expectClean(output());
  });

  const leakyError = (): Error => new Error(`Jwt verification fails for ${JWT} (Authorization: Bearer ${OPAQUE}, ${BOT_TOKEN})`);

  it('hides tokens inside an error logged as a field', () => {
    const { logger, output } = capture();
    logger.error({ err: leakyError() }, 'diagnosis failed');
    const text = output();
    expectClean(text);
    expect(text).toContain('Jwt verification fails');
  });

  // `logger.error(err)` alone: pino copies err.message into `msg` after the hook; the hook supplies a masked one.
  it('hides tokens inside an error logged on its own (logger.error(err))', () => {
    const { logger, output } = capture();
    logger.error(leakyError());
    expectClean(output());
  });
});
