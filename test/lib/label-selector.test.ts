import fc from 'fast-check';
import {
  formatSelector,
  matchesRequirements,
  matchesSelector,
  parseSelector,
} from '../../src/lib/label-selector.js';
import { JwtcheckError } from '../../src/errors.js';

describe('matchesSelector', () => {
  const labels = { app: 'httpbin', version: 'v1', 'app.kubernetes.io/name': 'httpbin' };

  it('matches when every selector pair is present', () => {
    expect(matchesSelector({ app: 'httpbin' }, labels)).toBe(true);
    expect(matchesSelector({ app: 'httpbin', version: 'v1' }, labels)).toBe(true);
  });

  it('does not match a differing value or a missing key', () => {
    expect(matchesSelector({ app: 'httpbin', version: 'v2' }, labels)).toBe(false);
    expect(matchesSelector({ tier: 'web' }, labels)).toBe(false);
    expect(matchesSelector({ app: 'httpbin' }, {})).toBe(false);
  });

  it('an empty selector matches everything, even no labels', () => {
    expect(matchesSelector({}, labels)).toBe(true);
    expect(matchesSelector({}, {})).toBe(true);
  });
});

describe('formatSelector', () => {
  it('sorts keys', () => {
    expect(formatSelector({ version: 'v1', app: 'httpbin' })).toBe('app=httpbin,version=v1');
    expect(formatSelector({})).toBe('');
  });

  it('round-trips through parseSelector + matchesRequirements like matchesSelector', () => {
    const key = fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/);
    const value = fc.stringMatching(/^[a-z0-9]{1,5}$/);
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 4 }), fc.dictionary(key, value, { maxKeys: 6 }), (sel, labels) => {
        const reqs = parseSelector(formatSelector(sel));
        expect(matchesRequirements(reqs, labels)).toBe(matchesSelector(sel, labels));
        expect(matchesRequirements(reqs, { ...labels, ...sel })).toBe(true);
      }),
    );
  });
});

describe('parseSelector + matchesRequirements', () => {
  const pod = { app: 'istiod', 'istio.io/rev': 'default', tier: 'control' };
  const m = (text: string, labels: Record<string, string> = pod) => matchesRequirements(parseSelector(text), labels);

  it('equality: =, == and !=', () => {
    expect(m('app=istiod')).toBe(true);
    expect(m('app==istiod')).toBe(true);
    expect(m('app = istiod')).toBe(true);
    expect(m('app=httpbin')).toBe(false);
    expect(m('app!=httpbin')).toBe(true);
    expect(m('app!=istiod')).toBe(false);
    // != matches objects without the key, as the API server does
    expect(m('version!=v1')).toBe(true);
  });

  it('set-based: in / notin, with spaces and commas inside the parentheses', () => {
    expect(m('tier in (control, data)')).toBe(true);
    expect(m('tier in (data,edge)')).toBe(false);
    expect(m('tier notin (data,edge)')).toBe(true);
    expect(m('tier notin (control)')).toBe(false);
    expect(m('missing notin (a)')).toBe(true);
    expect(m('missing in (a)')).toBe(false);
    expect(m('app=istiod,tier in (control,data),istio.io/rev')).toBe(true);
  });

  it('existence: key and !key', () => {
    expect(m('istio.io/rev')).toBe(true);
    expect(m('!istio.io/rev')).toBe(false);
    expect(m('!canary')).toBe(true);
    expect(m('canary')).toBe(false);
  });

  it('empty text matches all; empty value matches an empty label', () => {
    expect(parseSelector('')).toEqual([]);
    expect(m('')).toBe(true);
    expect(m('x=', { x: '' })).toBe(true);
    expect(m('x=', { x: 'a' })).toBe(false);
  });

  it('rejects malformed terms with a JwtcheckError that shows the accepted syntax', () => {
    for (const bad of ['app=in valid', 'app in a,b', '=x', 'a=(b)', 'app in (a b)']) {
      let caught: unknown;
      try {
        parseSelector(bad);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(JwtcheckError);
      expect((caught as JwtcheckError).code).toBe('invalid');
      expect((caught as JwtcheckError).message).toMatch(/key in \(a,b\)/);
    }
  });
});
