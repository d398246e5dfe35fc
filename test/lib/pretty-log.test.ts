/** Logs people can read: pretty on a terminal, JSON otherwise, LOG_FORMAT overrides; masking holds in both. */
import { PassThrough } from 'node:stream';
import { createLogger } from '../../src/lib/logger.js';
import { formatLogLine, logFormat } from '../../src/lib/pretty-log.js';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl';

function capture(isTTY: boolean): { stream: PassThrough & { isTTY?: boolean }; text: () => string } {
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean };
  if (isTTY) stream.isTTY = true;
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return { stream, text: () => text };
}

describe('log format', () => {
  it('pretty on a TTY, JSON when piped, LOG_FORMAT wins either way', () => {
    expect(logFormat({}, { isTTY: true })).toBe('pretty');
    expect(logFormat({}, {})).toBe('json');
    expect(logFormat({ LOG_FORMAT: 'json' }, { isTTY: true })).toBe('json');
    expect(logFormat({ LOG_FORMAT: 'pretty' }, {})).toBe('pretty');
  });

  it('a TTY destination gets one readable line per entry, token masked', () => {
    const out = capture(true);
    const logger = createLogger('jwtcheck-app', { destination: out.stream });
    logger.warn({ channel: 'C0X', detail: `sent ${JWT}` }, 'diagnosis failed');
    const line = out.text();
    expect(line.slice(0, 13)).toMatch(/^\d\d:\d\d:\d\d\.\d{3} $/);
    expect(line.slice(13)).toBe('\u001b[33mWARN \u001b[0m jwtcheck-app: diagnosis failed channel=C0X detail="sent [jwt redacted]"\n');
    expect(line).not.toContain('c2lnbmF0dXJl');
  });

  it('a piped destination gets JSON lines', () => {
    const out = capture(false);
    createLogger('jwtcheck-worker', { destination: out.stream }).info({ queue: 'jwtcheck' }, 'started');
    expect(JSON.parse(out.text())).toMatchObject({ level: 30, name: 'jwtcheck-worker', queue: 'jwtcheck', msg: 'started' });
  });

  it('formats without colour and passes a non-JSON line through', () => {
    expect(formatLogLine('{"level":50,"time":0,"name":"n","msg":"boom","err":{"type":"Error"}}', false)).toBe('00:00:00.000 ERROR n: boom err={"type":"Error"}\n');
    expect(formatLogLine('not json', false)).toBe('not json\n');
  });
});
