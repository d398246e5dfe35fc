/**
 * `jwtcheck decode [JWT | -] [--json]`: header, claims, times in words, warnings; exit 1 and one sentence
 * for a malformed token. No output ever carries the token's signature segment.
 */
import { runCli } from '../support/capture-io.js';
import type { CliRun } from '../support/capture-io.js';
import { startIssuer } from '../support/oidc-issuer.js';
import type { TestIssuer } from '../support/oidc-issuer.js';
import { expectNoStackTrace } from './fixtures/support.js';

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
/** A signature-looking segment that is easy to search for. */
const FAKE_SIGNATURE = 'SIGxq3Vt0pSecretSignatureSegmentZ9yW8vU7tS6rQ5pO4nM3lK2jI1hG0fE';

function expectNoSecret(run: CliRun, token: string): void {
  const all = run.stdout + run.stderr;
  const signature = token.trim().replace(/^Bearer\s+/i, '').split('.')[2];
  if (signature) expect(all).not.toContain(signature);
  expect(all).not.toContain(token.trim());
  expectNoStackTrace(all);
}

describe('decode', () => {
  let issuer: TestIssuer;
  let good: string;
  beforeAll(async () => {
    issuer = await startIssuer();
    const now = Math.floor(Date.now() / 1000);
    good = await issuer.sign({ sub: 'alice', aud: ['httpbin', 'account'], iat: now - 300, exp: now + 3600 });
  });
  afterAll(async () => {
    await issuer.close();
  });

  it('a good token: header, claims and times in words, exit 0', async () => {
    const run = await runCli(['decode', good], { env: {} });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/Header:/);
    expect(run.stdout).toMatch(/"alg": "RS256"/);
    expect(run.stdout).toMatch(/Claims:/);
    expect(run.stdout).toContain('"sub": "alice"');
    expect(run.stdout).toContain(`"iss": "${issuer.issuer}"`);
    expect(run.stdout).toMatch(/exp\s+\S+\s+expires in (59|60) min/);
    expect(run.stdout).toMatch(/iat\s+\S+\s+issued 5 min ago/);
    expect(run.stdout).toMatch(/fingerprint: [0-9a-f]{12}/i);
    expectNoSecret(run, good);
  });

  it('--json parses and holds header, claims, times and warnings, not the token', async () => {
    const run = await runCli(['decode', good, '--json'], { env: {} });
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout) as {
      header: Record<string, unknown>;
      claims: Record<string, unknown>;
      times: { name: string; inWords: string }[];
      warnings: string[];
      fingerprint: string;
    };
    expect(json.header).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    expect(json.claims).toMatchObject({ sub: 'alice', iss: issuer.issuer });
    expect(json.times.find((t) => t.name === 'exp')?.inWords).toMatch(/^expires in/);
    expect(Array.isArray(json.warnings)).toBe(true);
    expect(json.fingerprint).toMatch(/^[0-9a-f]{12}$/);
    expectNoSecret(run, good);
  });

  it('"-" reads the token from standard input (trailing newline ignored)', async () => {
    const run = await runCli(['decode', '-'], { env: {}, stdin: `${good}\n` });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('"sub": "alice"');
    expectNoSecret(run, good);
  });

  it('no argument and piped input reads standard input too', async () => {
    const run = await runCli(['decode', '--json'], { env: {}, stdin: good });
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as { claims: { sub: string } }).claims.sub).toBe('alice');
  });

  it('"-" with a terminal on stdin is a usage error (2), not a hang', async () => {
    const run = await runCli(['decode', '-'], { env: {}, stdinIsTTY: true });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/pipe it in/);
    expectNoStackTrace(run.stderr);
  });

  it('"Bearer <token>" is accepted with a warning about the prefix', async () => {
    const run = await runCli(['decode', `Bearer ${good}`], { env: {} });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('"sub": "alice"');
    expect(run.stdout).toMatch(/Warnings:[\s\S]*"Bearer " prefix/);
    expectNoSecret(run, good);
  });

  it('an expired token decodes (exit 0) with the expiry in words and a warning', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await issuer.sign({ sub: 'bob', iat: now - 7200, exp: now - 3600 });
    const run = await runCli(['decode', expired], { env: {} });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/expired 1 h ago/);
    expect(run.stdout).toMatch(/Jwt is expired/);
    expectNoSecret(run, expired);
  });

  const malformed: [string, string, RegExp][] = [
    ['an opaque string "abc"', 'abc', /opaque access token, not a JWT/],
    ['two parts "a.b"', 'a.b', /2 parts, not 3/],
    ['a JWE (5 parts)', `${b64({ alg: 'RSA-OAEP', enc: 'A256GCM' })}.${FAKE_SIGNATURE}.iv.ciphertext.tag`, /encrypted token \(JWE\)/],
    ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'x' })}.`, /alg "none"/],
    ['a header that is not JSON', `bm90LWpzb24.${b64({ sub: 'x' })}.${FAKE_SIGNATURE}`, /header/i],
    ['a payload that is not JSON', `${b64({ alg: 'RS256' })}.bm90LWpzb24.${FAKE_SIGNATURE}`, /payload|claims/i],
    ['four parts', `${b64({ alg: 'RS256' })}.${b64({ sub: 'x' })}.${FAKE_SIGNATURE}.extra`, /4 parts|parts/],
  ];

  it.each(malformed)('%s → exit 1 with one clear sentence, nothing echoed', async (_name, token, reason) => {
    const run = await runCli(['decode', token], { env: {} });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^This is not a usable JWT: /);
    expect(run.stderr).toMatch(reason);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr + run.stdout).not.toContain(FAKE_SIGNATURE);
    expectNoStackTrace(run.stderr);
  });

  it.each(malformed)('%s with --json → exit 1, a JSON problem, nothing echoed', async (_name, token) => {
    const run = await runCli(['decode', token, '--json'], { env: {} });
    expect(run.code).toBe(1);
    const json = JSON.parse(run.stdout) as { ok: boolean; problem: { message: string } };
    expect(json.ok).toBe(false);
    expect(json.problem.message.length).toBeGreaterThan(10);
    expect(run.stderr + run.stdout).not.toContain(FAKE_SIGNATURE);
  });

  it('a malformed token with the Bearer prefix is still not echoed', async () => {
    const token = `Bearer ${b64({ alg: 'none' })}.${b64({ sub: 'x' })}.${FAKE_SIGNATURE}`;
    const run = await runCli(['decode', token], { env: {} });
    expect(run.code).toBe(1);
    expect(run.stderr + run.stdout).not.toContain(FAKE_SIGNATURE);
  });

  it('a good token whose signature is tampered still decodes without echoing the signature', async () => {
    const [h, p] = good.split('.');
    const tampered = `${h}.${p}.${FAKE_SIGNATURE}`;
    const run = await runCli(['decode', tampered, '--json'], { env: {} });
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain(FAKE_SIGNATURE);
  });
});
