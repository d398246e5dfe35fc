/**
 * DESIGN §8 through the command line: only URLs named by policies are fetched (never one from a token:
 * iss, jku, x5u), and the token — its signature segment above all — never reaches stdout/stderr or the
 * report, whether it is good, tampered or malformed.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/capture-io.js';
import type { CliRun } from '../support/capture-io.js';
import { startKubeApiServer } from '../support/kube-api-server.js';
import type { KubeApiServer } from '../support/kube-api-server.js';
import { startIssuer } from '../support/oidc-issuer.js';
import type { TestIssuer } from '../support/oidc-issuer.js';
import { OFFLINE_DIR, expectNoStackTrace, expectReportV1, liveCluster } from './fixtures/support.js';

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const FAKE_SIGNATURE = 'SIGxq3Vt0pSecretSignatureSegmentZ9yW8vU7tS6rQ5pO4nM3lK2jI1hG0fE';

/** A plain HTTP server that only counts who calls it: the URL a token points at. */
async function startDecoy(): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method ?? ''} ${req.url ?? ''}`);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{"issuer":"decoy","jwks_uri":"http://127.0.0.1:1/","keys":[]}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Neither the whole token nor any 16-character window of its signature appears in the text. */
function expectTokenAbsent(text: string, token: string): void {
  const bare = token.trim().replace(/^Bearer\s+/i, '');
  expect(text).not.toContain(bare);
  const parts = bare.split('.');
  const signature = parts.length === 3 ? (parts[2] ?? '') : parts.slice(1).join('.');
  for (let i = 0; i + 16 <= signature.length; i += 8) {
    const window = signature.slice(i, i + 16);
    if (text.includes(window)) throw new Error(`output contains part of the token's signature: …${window}…`);
  }
  const payload = parts[1] ?? '';
  if (payload.length >= 24) expect(text).not.toContain(payload);
}

function allStrings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) allStrings(v, out);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) allStrings(v, out);
  return out;
}

const both = (run: CliRun): string => run.stdout + run.stderr;

describe('security (DESIGN §8) through the CLI', () => {
  let dir: string;
  let api: KubeApiServer;
  let issuer: TestIssuer;
  let decoy: Awaited<ReturnType<typeof startDecoy>>;
  let kubeconfig: string;
  let raFile: string;
  const savedKubeconfig = process.env['KUBECONFIG'];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jwtcheck-cli-sec-'));
    issuer = await startIssuer();
    decoy = await startDecoy();
    api = await startKubeApiServer(liveCluster(issuer.issuer));
    kubeconfig = api.writeKubeconfig(dir);
    // See json-report.test.ts: io.env is the contract; process.env as well until the live source honours it.
    process.env['KUBECONFIG'] = kubeconfig;
    raFile = join(dir, 'request-authentication.yaml');
    writeFileSync(
      raFile,
      [
        'apiVersion: security.istio.io/v1',
        'kind: RequestAuthentication',
        'metadata: {name: httpbin-jwt, namespace: foo}',
        'spec:',
        '  selector: {matchLabels: {app: httpbin}}',
        '  jwtRules:',
        `  - issuer: ${issuer.issuer}`,
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    if (savedKubeconfig === undefined) delete process.env['KUBECONFIG'];
    else process.env['KUBECONFIG'] = savedKubeconfig;
    await api.close();
    await issuer.close();
    await decoy.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    decoy.requests.length = 0;
    issuer.requests.length = 0;
  });

  describe('(a) no URL from a token is fetched', () => {
    const forgedHeader = (decoyUrl: string) => ({ jku: `${decoyUrl}/jwks.json`, x5u: `${decoyUrl}/cert.pem` });

    it('live: iss, jku and x5u naming a second server → that server gets zero requests; the policy issuer is fetched', async () => {
      const token = await issuer.sign({ iss: decoy.url, sub: 'mallory' }, { header: forgedHeader(decoy.url) });
      const run = await runCli(['diagnose', 'httpbin', 'foo', '--json', '--token', token], { env: { KUBECONFIG: kubeconfig } });
      const report = expectReportV1(run.stdout, { service: 'httpbin', namespace: 'foo' });
      expect(decoy.requests).toEqual([]);
      // The policy's issuer was used (so fetching worked at all), and the foreign iss is named as the problem.
      expect(issuer.requests.some((r) => r.path.endsWith('/.well-known/openid-configuration'))).toBe(true);
      expect(report.checks.find((c) => c.id === 'token.issuer')?.status).toBe('fail');
      expectTokenAbsent(both(run), token);
    });

    it('live: the right iss but jku/x5u to a second server → zero requests there', async () => {
      const token = await issuer.sign({ sub: 'mallory' }, { header: forgedHeader(decoy.url) });
      const run = await runCli(['diagnose', 'httpbin', 'foo', '--token', token], { env: { KUBECONFIG: kubeconfig } });
      expect(decoy.requests).toEqual([]);
      expect(issuer.requests.length).toBeGreaterThan(0);
      expectTokenAbsent(both(run), token);
    });

    it('offline --files: the token’s URLs are not fetched either', async () => {
      const token = await issuer.sign({ iss: `${decoy.url}/realms/x`, sub: 'mallory' }, { header: forgedHeader(decoy.url) });
      const run = await runCli(
        ['diagnose', 'httpbin', 'foo', '--json', '--files', join(OFFLINE_DIR, 'service.yaml'), join(OFFLINE_DIR, 'deployment.yaml'), raFile, '--token', token],
        { env: {} },
      );
      expectReportV1(run.stdout, { service: 'httpbin', namespace: 'foo' });
      expect(decoy.requests).toEqual([]);
      expect(issuer.requests.length).toBeGreaterThan(0);
    });

    it('decode never fetches anything (not even the iss)', async () => {
      const token = await issuer.sign({ iss: decoy.url, sub: 'mallory' }, { header: forgedHeader(decoy.url) });
      await runCli(['decode', token], { env: {} });
      await runCli(['decode', token, '--json'], { env: {} });
      expect(decoy.requests).toEqual([]);
      expect(issuer.requests).toEqual([]);
    });
  });

  describe('(b) the token is never echoed', () => {
    const malformed: [string, string][] = [
      ['header not JSON', `bm90LWpzb24.${b64({ sub: 'x' })}.${FAKE_SIGNATURE}`],
      ['four parts', `${b64({ alg: 'RS256' })}.${b64({ sub: 'x' })}.${FAKE_SIGNATURE}.more`],
      ['JWE', `${b64({ alg: 'RSA-OAEP', enc: 'A256GCM' })}.${FAKE_SIGNATURE}.iv.${FAKE_SIGNATURE}x.tag`],
      ['alg none with a signature', `${b64({ alg: 'none' })}.${b64({ sub: 'x' })}.${FAKE_SIGNATURE}`],
      ['Bearer prefix, bad header', `Bearer bm90LWpzb24.${b64({ sub: 'x' })}.${FAKE_SIGNATURE}`],
      ['opaque', FAKE_SIGNATURE],
    ];

    it('a good token: diagnose (terminal and --json), live', async () => {
      const token = await issuer.sign({ sub: 'alice', aud: 'httpbin' });
      for (const json of [false, true]) {
        const run = await runCli(['diagnose', 'httpbin', 'foo', '--token', token, ...(json ? ['--json'] : [])], { env: { KUBECONFIG: kubeconfig } });
        expect(run.stdout.length).toBeGreaterThan(100);
        expectTokenAbsent(both(run), token);
      }
    });

    it('a good token read with --token-file - (stdin): not echoed', async () => {
      const token = await issuer.sign({ sub: 'alice' });
      const run = await runCli(['diagnose', 'httpbin', 'foo', '--token-file', '-', '--json'], { env: { KUBECONFIG: kubeconfig }, stdin: `${token}\n` });
      const report = expectReportV1(run.stdout, { service: 'httpbin', namespace: 'foo' });
      expect(report.checks.find((c) => c.id === 'token.format')?.status).toBe('pass');
      expectTokenAbsent(both(run), token);
    });

    it('a token whose signature does not verify: not echoed (the failing check names the key, not the token)', async () => {
      const token = await issuer.sign({ sub: 'alice' }, { key: 'foreign' });
      const run = await runCli(['diagnose', 'httpbin', 'foo', '--token', token], { env: { KUBECONFIG: kubeconfig } });
      expect(run.stdout).toMatch(/token\.signature/);
      expect(run.code).toBe(1);
      expectTokenAbsent(both(run), token);
    });

    it.each(malformed)('malformed (%s): diagnose terminal, diagnose --json, decode and decode --json echo nothing', async (_name, token) => {
      const files = ['--files', join(OFFLINE_DIR, 'service.yaml'), join(OFFLINE_DIR, 'deployment.yaml'), join(OFFLINE_DIR, 'request-authentication.yaml')];
      const runs = [
        await runCli(['diagnose', 'httpbin', 'foo', ...files, '--token', token], { env: {} }),
        await runCli(['diagnose', 'httpbin', 'foo', ...files, '--token', token, '--json'], { env: {} }),
        await runCli(['decode', token], { env: {} }),
        await runCli(['decode', token, '--json'], { env: {} }),
      ];
      for (const run of runs) {
        expect(both(run)).not.toContain(FAKE_SIGNATURE);
        expect(both(run)).not.toContain(FAKE_SIGNATURE.slice(0, 16));
        expectNoStackTrace(both(run));
      }
      // token.format is the failing check of the diagnosis.
      expect(runs[0]?.stdout).toMatch(/❌ token\.format/);
      expect(runs[1]?.code).toBe(1);
    });
  });

  describe('(c) the report JSON holds no raw token', () => {
    it('no string field holds the token, its payload segment or its signature segment', async () => {
      const token = await issuer.sign({ sub: 'alice', aud: 'httpbin', email: 'alice@example.com' });
      const [header, payload, signature] = token.split('.') as [string, string, string];
      const run = await runCli(['diagnose', 'httpbin', 'foo', '--json', '--token', token], { env: { KUBECONFIG: kubeconfig } });
      const report = expectReportV1(run.stdout, { service: 'httpbin', namespace: 'foo' });
      for (const text of allStrings(report)) {
        expect(text).not.toContain(token);
        expect(text).not.toContain(payload);
        expect(text).not.toContain(signature);
        expect(text).not.toContain(`${header}.${payload.slice(0, 8)}`);
      }
      expect(run.stdout).not.toContain(payload);
      expect(run.stdout).not.toContain(signature);
      // What the report does carry: a fingerprint.
      expect((report as unknown as { tokenFingerprint?: string }).tokenFingerprint).toMatch(/^[0-9a-f]{12}$/);
    });
  });
});
