import { checkAccess, globMatch, parseAccessPolicy } from '../../src/slack/access.js';
import { JwtcheckError } from '../../src/errors.js';

const POLICY = parseAccessPolicy(`
admins: "#platform-team"
rules:
  - channels: [C0INCIDENT]
    namespaces: [foo, "team-*"]
  - users: [U0ADMIN]
    namespaces: ["*"]
  - channels: [dm]
    users: [U0ALICE]
    namespaces: [bar]
    clusters: [default]
`);

const request = (over: Partial<Parameters<typeof checkAccess>[1]> = {}) => ({
  user: 'U0ALICE',
  channel: 'C0INCIDENT',
  isDm: false,
  namespace: 'foo',
  cluster: 'default',
  ...over,
});

describe('access policy', () => {
  it('allows everything without a file', () => {
    expect(checkAccess(undefined, request({ namespace: 'kube-system' }))).toEqual({ allowed: true });
  });

  it('allows what a rule names', () => {
    expect(checkAccess(POLICY, request()).allowed).toBe(true);
    expect(checkAccess(POLICY, request({ namespace: 'team-payments' })).allowed).toBe(true);
    expect(checkAccess(POLICY, request({ user: 'U0ADMIN', channel: 'C0OTHER', namespace: 'kube-system' })).allowed).toBe(true);
    expect(checkAccess(POLICY, request({ channel: 'D0DM', isDm: true, namespace: 'bar' })).allowed).toBe(true);
  });

  it('refuses with a sentence naming who may change it', () => {
    const refused = checkAccess(POLICY, request({ channel: 'C0OTHER' }));
    expect(refused.allowed).toBe(false);
    if (!refused.allowed) {
      expect(refused.message).toContain('namespace `foo`');
      expect(refused.message).toContain('from this channel');
      expect(refused.message).toContain('ask #platform-team to change it');
    }
    expect(checkAccess(POLICY, request({ namespace: 'teamx' })).allowed).toBe(false);
    expect(checkAccess(POLICY, request({ channel: 'D0DM', isDm: true, namespace: 'bar', cluster: 'prod' })).allowed).toBe(false);
  });

  it('reports every problem of a bad file at once', () => {
    expect(() => parseAccessPolicy('rules:\n  - channels: C1\n    colour: red\nextra: 1\n')).toThrow(JwtcheckError);
    try {
      parseAccessPolicy('rules:\n  - channels: C1\n    colour: red\nextra: 1\n');
    } catch (err) {
      const message = (err as Error).message;
      expect(message).toContain('unknown key "extra"');
      expect(message).toContain('rules[0].channels must be a list of strings');
      expect(message).toContain('rules[0]: unknown key "colour"');
      expect(message).toContain('rules[0].namespaces is required');
    }
    expect(() => parseAccessPolicy('rules: [')).toThrow(/not valid YAML/);
  });

  it('matches globs literally except for *', () => {
    expect(globMatch('team-*', 'team-a')).toBe(true);
    expect(globMatch('team.a', 'teamxa')).toBe(false);
    expect(globMatch('*', 'anything')).toBe(true);
  });
});
