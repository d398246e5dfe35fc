/**
 * Hardening (issue 5): property-based tests over the three pure entry points that read untrusted text.
 * parseArgs throws only JwtcheckError('usage') with a message; decodeToken never throws and never hands back
 * the signature segment; normalisePolicies never throws on any JSON-ish RequestAuthentication/AuthorizationPolicy.
 */
import fc from 'fast-check';
import { parseArgs } from '../../src/cli/parse-args.js';
import { JwtcheckError } from '../../src/errors.js';
import type { KubeObject } from '../../src/model/index.js';
import { normalisePolicies } from '../../src/istio/policies.js';
import { decodeToken } from '../../src/token/index.js';

const RUNS = 300;
const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

function expectUsageOrResult(argv: string[]): void {
  try {
    parseArgs(argv);
  } catch (err) {
    if (!(err instanceof JwtcheckError)) throw new Error(`parseArgs(${JSON.stringify(argv).slice(0, 200)}) threw ${String(err)}`, { cause: err });
    expect(err.code).toBe('usage');
    expect(err.message.length).toBeGreaterThan(10);
  }
}

describe('hardening: parseArgs never throws anything but a usage error', () => {
  const word = fc.oneof(
    fc.string(),
    fc.string({ unit: 'grapheme' }),
    fc.constantFrom('diagnose', 'decode', 'demo', 'app', 'worker', 'help', '-', '--', '--json', '--token', '--token-file', '--files', '--logs', '--context', '--log-lines', '--log-lines=-1', '--log-lines=1e3', '--issuer-recording', 'httpbin', 'foo', '\u0000', '--\u0000'),
    fc.string().map((s) => `--${s}`),
    fc.string().map((s) => `--${s}=${s}`),
  );

  it('random argument vectors', () => {
    fc.assert(fc.property(fc.array(word, { maxLength: 12 }), (argv) => expectUsageOrResult(argv)), { numRuns: RUNS * 3 });
  });

  it('random arguments after each command', () => {
    const command = fc.constantFrom('diagnose', 'decode', 'demo', 'app', 'worker');
    fc.assert(fc.property(command, fc.array(word, { maxLength: 10 }), (c, rest) => expectUsageOrResult([c, ...rest])), { numRuns: RUNS * 3 });
  });

  it('huge and unicode values', () => {
    expectUsageOrResult(['diagnose', 'httpbin', 'foo', '--token', 'x'.repeat(100_000)]);
    expectUsageOrResult(['diagnose', '🙂'.repeat(1000), 'foo']);
    expectUsageOrResult(['decode', `eyJ${'\u0000'.repeat(10)}`]);
  });

  // Found by fast-check: flag names looked up in a plain object made --constructor/--toString known flags.
  it('option names that are Object.prototype members are unknown options', () => {
    for (const argv of [
      ['diagnose', 'httpbin', 'foo', '--constructor=x'],
      ['diagnose', 'httpbin', 'foo', '--toString', 'x'],
      ['decode', '--hasOwnProperty', 'x'],
    ]) {
      expect(() => parseArgs(argv)).toThrow(JwtcheckError);
    }
  });
});

describe('hardening: decodeToken never throws and never returns the signature', () => {
  const SIGNATURE = 'hSIGNxq3Vt0pSecretSignatureSegmentZ9yW8vU7tS6rQ5pO4nM3lK2jI1hG0fE';
  /** Nested JSON text built as a string (JSON.stringify of such a value would overflow the stack itself). */
  const nested = (depth: number): string => '{"a":'.repeat(depth) + '"x"' + '}'.repeat(depth);
  const deepArray = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

  /** Every string (keys included) in a value, walked without recursion: decoded claims may nest 6,000 deep. */
  function allStrings(value: unknown): string[] {
    const out: string[] = [];
    const stack: unknown[] = [value];
    while (stack.length > 0) {
      const v = stack.pop();
      if (typeof v === 'string') out.push(v);
      else if (Array.isArray(v)) stack.push(...v);
      else if (v !== null && typeof v === 'object') for (const [k, inner] of Object.entries(v)) stack.push(k, inner);
    }
    return out;
  }

  function check(token: string, signature?: string): void {
    const ev = decodeToken(token);
    expect(ev.provided).toBe(true);
    if (signature !== undefined && signature.length >= 8) {
      const leaked = allStrings(ev).find((text) => text.includes(signature));
      expect(leaked).toBeUndefined();
    }
  }

  const jsonObject = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 6 });
  const segment = fc.oneof(
    jsonObject.map(b64),
    fc.string().map(b64),
    fc.string({ unit: 'binary' }),
    fc.string({ unit: 'grapheme' }),
    fc.uint8Array({ maxLength: 64 }).map((u) => Buffer.from(u).toString('base64url')),
    fc.uint8Array({ maxLength: 64 }).map((u) => Buffer.from(u).toString('base64')),
    fc.constant(''),
  );
  const signature = fc.stringMatching(/^[A-Za-z0-9_-]{16,86}$/);

  it('random three-part tokens: the signature never comes back', () => {
    fc.assert(fc.property(segment, segment, signature, (h, p, s) => check(`${h}.${p}.${s}`, s)), { numRuns: RUNS * 3 });
  });

  it('random text, any number of dots, Bearer prefixes, whitespace', () => {
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 7 }), fc.constantFrom('', 'Bearer ', 'bearer\t', '  ', 'Authorization: Bearer '), (parts, prefix) =>
        check(prefix + parts.join('.')),
      ),
      { numRuns: RUNS * 3 },
    );
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 500 }), (s) => check(s)), { numRuns: RUNS });
  });

  it('adversarial tokens', () => {
    const header = b64({ alg: 'RS256', typ: 'JWT', kid: 'k1' });
    const payload = b64({ iss: 'https://issuer.example', sub: 'alice', exp: 4_000_000_000 });
    const cases: [string, string | undefined][] = [
      [`${header}.${payload}.${SIGNATURE}`, SIGNATURE],
      [`${header}.${payload}.${'A'.repeat(100_000)}`, 'A'.repeat(100_000)],
      [`${b64({ alg: 'RS256', pad: 'p'.repeat(100_000) })}.${payload}.${SIGNATURE}`, SIGNATURE],
      [`${b64({ alg: 'none' })}.${payload}.`, undefined],
      [`${b64({ alg: 'none' })}.${payload}.${SIGNATURE}`, SIGNATURE],
      // A JWE: header.encryptedKey.iv.ciphertext.tag
      [`${b64({ alg: 'RSA-OAEP', enc: 'A256GCM' })}.${SIGNATURE}.aXY.${SIGNATURE}Q.dGFn`, SIGNATURE],
      [`${b64(nested(100_000))}.${payload}.${SIGNATURE}`, SIGNATURE],
      [`${b64(deepArray(100_000))}.${b64(deepArray(100_000))}.${SIGNATURE}`, SIGNATURE],
      [`${header}.${b64(nested(6_000))}.${SIGNATURE}`, SIGNATURE],
      [`${b64(nested(6_000))}.${b64(nested(6_000))}.${SIGNATURE}`, SIGNATURE],
      [`${header}.${payload}.${SIGNATURE}\u0000`, SIGNATURE],
      [`\u0000${header}.\u0000${payload}.${SIGNATURE}`, SIGNATURE],
      [`${header}.${payload}.${SIGNATURE}\u00ff\u{1F642}`, SIGNATURE],
      [`${header}.${payload}.sig+with/standard=base64==`, 'sig+with/standard=base64=='],
      [`${header}.${Buffer.from([0xff, 0xfe, 0x00, 0x80]).toString('base64url')}.${SIGNATURE}`, SIGNATURE],
      [`${b64('{"alg":"RS256"')}.${payload}.${SIGNATURE}`, SIGNATURE],
      [`${b64({ alg: 'RS256', __proto__: { polluted: true }, constructor: 'x' })}.${b64('{"__proto__":{"x":1}}')}.${SIGNATURE}`, SIGNATURE],
      ['.'.repeat(50_000), undefined],
      ['x'.repeat(100_000), undefined],
    ];
    for (const [token, sig] of cases) check(token, sig);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('hardening: jwtcheck decode on a deeply nested payload', () => {
  // A payload nested 6,000 deep (48 KB, under MAX_TOKEN_BYTES) used to overflow the stack while rendering;
  // decodeToken now refuses JSON nested deeper than real claims ever are.
  const token = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64('{"a":'.repeat(6_000) + '"x"' + '}'.repeat(6_000))}.c2lnbmF0dXJlc2lnbmF0dXJl`;
  it('text and --json output end in a sentence, not a stack overflow', async () => {
    const { runCli } = await import('../support/capture-io.js');
    for (const argv of [['decode', token], ['decode', token, '--json']]) {
      const run = await runCli(argv);
      expect(run.stdout + run.stderr).not.toMatch(/Maximum call stack/);
      expect([0, 1]).toContain(run.code);
    }
  });
});

describe('hardening: normalisePolicies never throws on JSON-ish specs', () => {
  const anyJson = fc.jsonValue({ maxDepth: 5 });
  const labels = fc.dictionary(fc.constantFrom('app', 'version', 'x', ''), fc.oneof(fc.string({ maxLength: 6 }), fc.constant('httpbin')), { maxKeys: 3 });
  const specish = fc.record(
    {
      selector: fc.oneof(fc.record({ matchLabels: fc.oneof(labels, anyJson) }, { requiredKeys: [] }), anyJson),
      targetRef: anyJson,
      targetRefs: fc.oneof(fc.array(fc.record({ kind: fc.constantFrom('Service', 'Gateway', 'x'), name: fc.string(), group: fc.string() }, { requiredKeys: [] })), anyJson),
      jwtRules: fc.oneof(
        fc.array(
          fc.record(
            {
              issuer: fc.oneof(fc.webUrl(), fc.string(), anyJson),
              jwksUri: fc.oneof(fc.webUrl(), fc.string(), anyJson),
              jwks: fc.oneof(fc.string(), anyJson),
              audiences: fc.oneof(fc.array(fc.string()), anyJson),
              fromHeaders: fc.oneof(fc.array(fc.record({ name: fc.string(), prefix: fc.string() }, { requiredKeys: [] })), anyJson),
              fromParams: anyJson,
              outputPayloadToHeader: anyJson,
              forwardOriginalToken: anyJson,
            },
            { requiredKeys: [] },
          ),
          { maxLength: 3 },
        ),
        anyJson,
      ),
      action: fc.oneof(fc.constantFrom('ALLOW', 'DENY', 'AUDIT', 'CUSTOM', 'allow'), anyJson),
      provider: anyJson,
      rules: fc.oneof(
        fc.array(
          fc.record(
            {
              from: fc.oneof(fc.array(fc.record({ source: fc.oneof(fc.record({ requestPrincipals: fc.array(fc.string()), notRequestPrincipals: fc.array(fc.string()) }, { requiredKeys: [] }), anyJson) }, { requiredKeys: [] })), anyJson),
              to: anyJson,
              when: fc.oneof(fc.array(fc.record({ key: fc.constantFrom('request.auth.claims[iss]', 'request.auth.audiences', 'x'), values: fc.array(fc.string()), notValues: anyJson }, { requiredKeys: [] })), anyJson),
            },
            { requiredKeys: [] },
          ),
          { maxLength: 3 },
        ),
        anyJson,
      ),
    },
    { requiredKeys: [] },
  );
  const object = (kind: string) =>
    fc.record(
      {
        apiVersion: fc.constantFrom('security.istio.io/v1', 'security.istio.io/v1beta1', 'x'),
        kind: fc.constantFrom(kind, 'Other'),
        metadata: fc.oneof(fc.record({ name: fc.oneof(fc.string(), anyJson), namespace: fc.constantFrom('foo', 'istio-system', 'bar'), creationTimestamp: fc.oneof(fc.string(), anyJson) }, { requiredKeys: [] }), anyJson),
        spec: fc.oneof(specish, anyJson),
      },
      { requiredKeys: [] },
    ) as fc.Arbitrary<KubeObject>;

  it('random RequestAuthentications, AuthorizationPolicies and legacy policies', () => {
    fc.assert(
      fc.property(fc.array(object('RequestAuthentication'), { maxLength: 4 }), fc.array(object('AuthorizationPolicy'), { maxLength: 4 }), fc.option(fc.array(object('Policy'), { maxLength: 2 })), (ras, aps, legacy) => {
        const set = normalisePolicies({
          target: { service: 'httpbin', namespace: 'foo' },
          service: { name: 'httpbin', namespace: 'foo', labels: {}, selector: { app: 'httpbin' }, ports: [] },
          pods: [],
          namespace: { name: 'foo', exists: true, labels: {} },
          rootNamespace: 'istio-system',
          requestAuthentications: ras,
          authorizationPolicies: aps,
          ...(legacy !== null ? { legacyPolicies: legacy } : {}),
        });
        expect(Array.isArray(set.jwtRules)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});
