import { containsToken, parseCommand, parseDirectMessage, LEAKED_TOKEN_MESSAGE } from '../../src/slack/parse-command.js';

const JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlIiwic3ViIjoidSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ';

describe('parseCommand', () => {
  it.each([
    ['httpbin foo', { service: 'httpbin', namespace: 'foo' }],
    ['  httpbin   foo  ', { service: 'httpbin', namespace: 'foo' }],
    ['httpbin.foo', { service: 'httpbin', namespace: 'foo' }],
    ['httpbin.foo.svc.cluster.local', { service: 'httpbin', namespace: 'foo' }],
    ['foo/httpbin', { service: 'httpbin', namespace: 'foo' }],
    ['httpbin foo --cluster prod-eu', { service: 'httpbin', namespace: 'foo', cluster: 'prod-eu' }],
    ['--cluster=prod-eu httpbin foo', { service: 'httpbin', namespace: 'foo', cluster: 'prod-eu' }],
    ['httpbin foo —cluster prod-eu', { service: 'httpbin', namespace: 'foo', cluster: 'prod-eu' }],
  ])('reads %j', (text, target) => {
    expect(parseCommand(text)).toEqual({ kind: 'diagnose', target });
  });

  it('answers help', () => {
    expect(parseCommand('help')).toEqual({ kind: 'help' });
    expect(parseCommand('--help').kind).toBe('help');
  });

  it.each([
    ['', 'Tell me which service'],
    ['httpbin', 'both the service and its namespace'],
    ['a b c', 'Too many arguments'],
    ['HTTPBIN foo', 'not a valid Service name'],
    ['httpbin foo_bar', 'not a valid namespace name'],
    [`${'a'.repeat(64)} foo`, 'not a valid Service name'],
    ['httpbin foo --verbose', 'Unknown option `--verbose`'],
    ['httpbin foo -v', 'Unknown option `-v`'],
    ['httpbin foo --cluster', '`--cluster` needs a cluster name'],
    ['httpbin foo --cluster a:b', 'not a valid cluster name'],
  ])('refuses %j with a usage line', (text, words) => {
    const parsed = parseCommand(text);
    expect(parsed.kind).toBe('usage');
    if (parsed.kind !== 'usage') return;
    expect(parsed.message).toContain(words);
    expect(parsed.message).toContain('Usage: `/jwtcheck <service> <namespace> [--cluster NAME]`');
  });

  it('refuses a token in the command as leaked and never echoes it', () => {
    for (const text of [`httpbin foo ${JWT}`, `httpbin foo Bearer ${JWT}`, JWT, `\`${JWT}\``]) {
      const parsed = parseCommand(text);
      expect(parsed).toEqual({ kind: 'leaked-token', message: LEAKED_TOKEN_MESSAGE });
    }
    expect(LEAKED_TOKEN_MESSAGE).toContain('rotate');
    expect(LEAKED_TOKEN_MESSAGE).not.toContain('eyJ');
  });

  it('does not take ordinary names for tokens', () => {
    expect(containsToken('httpbin.foo.svc.cluster.local')).toBe(false);
    expect(containsToken('my-service.my-namespace')).toBe(false);
  });
});

describe('parseDirectMessage', () => {
  it('finds a lone token, also with Bearer and backticks', () => {
    expect(parseDirectMessage(JWT)).toEqual({ kind: 'token-only', token: JWT });
    expect(parseDirectMessage(`Bearer ${JWT}`)).toEqual({ kind: 'token-only', token: JWT });
    expect(parseDirectMessage(`\`\`\`${JWT}\`\`\``)).toEqual({ kind: 'token-only', token: JWT });
  });

  it('reads service, namespace and token in any order', () => {
    const expected = { kind: 'diagnose', target: { service: 'httpbin', namespace: 'foo' }, token: JWT };
    expect(parseDirectMessage(`httpbin foo ${JWT}`)).toEqual(expected);
    expect(parseDirectMessage(`${JWT} httpbin foo`)).toEqual(expected);
    expect(parseDirectMessage(`httpbin ${JWT} foo`)).toEqual(expected);
    expect(parseDirectMessage(`foo/httpbin ${JWT}`)).toEqual(expected);
  });

  it('accepts a target without a token', () => {
    expect(parseDirectMessage('httpbin foo')).toEqual({ kind: 'diagnose', target: { service: 'httpbin', namespace: 'foo' } });
  });

  it('explains garbage without echoing it', () => {
    const parsed = parseDirectMessage('what is going on with my auth?');
    expect(parsed.kind).toBe('unrecognised');
    if (parsed.kind === 'unrecognised') expect(parsed.message).toContain('neither a token nor a service');
    const two = parseDirectMessage(`${JWT} ${JWT}`);
    expect(two.kind).toBe('unrecognised');
    const noTarget = parseDirectMessage(`please check ${JWT} now thanks`);
    expect(noTarget.kind).toBe('unrecognised');
    if (noTarget.kind === 'unrecognised') {
      expect(noTarget.message).toContain('not the service');
      expect(noTarget.message).not.toContain('eyJ');
    }
  });
});
