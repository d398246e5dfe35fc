/**
 * Hardening (issue 5, DESIGN §8 "tokens never logged"): a full live diagnosis with a real signed token, a
 * tampered one and an expired one. No piece of the signature may appear in the report JSON, the terminal
 * rendering, anything written to stdout/stderr/console while diagnosing, what the logger writes about the job,
 * or any request the fake cluster and issuer received.
 */
import { PassThrough } from 'node:stream';
import { jest } from '@jest/globals';
import { diagnose } from '../../src/diagnose.js';
import type { Report } from '../../src/engine/report.js';
import { GuardedFetcher } from '../../src/evidence/guarded-fetch.js';
import { LiveClusterSource } from '../../src/evidence/kube-live.js';
import { createLogger } from '../../src/lib/logger.js';
import { renderJson } from '../../src/render/json.js';
import { renderTerminal } from '../../src/render/terminal.js';
import { startKubeApiServer } from '../support/kube-api-server.js';
import type { KubeApiServer } from '../support/kube-api-server.js';
import { startIssuer } from '../support/oidc-issuer.js';
import type { TestIssuer } from '../support/oidc-issuer.js';
import { TARGET, hardeningCluster } from './fixtures/cluster.js';

/** Neither the token, nor its payload, nor any 12-character window of its signature appears in `text`. */
function expectNoTokenPart(where: string, text: string, token: string): void {
  const [, payload = '', signature = ''] = token.split('.');
  if (text.includes(token)) throw new Error(`${where} contains the whole token`);
  if (payload.length >= 24 && text.includes(payload)) throw new Error(`${where} contains the token's payload segment`);
  for (let i = 0; i + 12 <= signature.length; i += 4) {
    const window = signature.slice(i, i + 12);
    if (text.includes(window)) throw new Error(`${where} contains part of the token's signature: …${window}…`);
  }
}

describe('hardening: the token never leaves src/token', () => {
  let api: KubeApiServer;
  let issuer: TestIssuer;

  beforeAll(async () => {
    issuer = await startIssuer();
    api = await startKubeApiServer(hardeningCluster({ issuer: issuer.issuer, jwksUri: issuer.jwksUri, audiences: ['httpbin.foo.svc.cluster.local'] }));
  });
  afterAll(async () => {
    await api.close();
    await issuer.close();
  });

  async function diagnoseCapturing(token: string): Promise<{ report: Report; written: string }> {
    const written: string[] = [];
    const capture = (chunk: unknown): boolean => {
      written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return true;
    };
    const spies = [
      jest.spyOn(process.stdout, 'write').mockImplementation(capture as never),
      jest.spyOn(process.stderr, 'write').mockImplementation(capture as never),
      ...(['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
        jest.spyOn(console, m).mockImplementation((...args: unknown[]) => void written.push(args.map(String).join(' '))),
      ),
    ];
    const source = LiveClusterSource.fromKubeconfig({ kubeconfigYaml: api.kubeconfigYaml, requestTimeoutMs: 2_000 });
    const fetcher = new GuardedFetcher({ timeoutMs: 2_000 });
    try {
      const report = await diagnose({ target: TARGET, source, fetcher, token });
      return { report, written: written.join('') };
    } finally {
      for (const spy of spies) spy.mockRestore();
      await fetcher.close();
    }
  }

  async function expectClean(token: string): Promise<Report> {
    api.requests.length = 0;
    issuer.requests.length = 0;
    const { report, written } = await diagnoseCapturing(token);
    expectNoTokenPart('the report JSON', JSON.stringify(report), token);
    expectNoTokenPart('the --json rendering', renderJson(report), token);
    expectNoTokenPart('the terminal rendering', renderTerminal(report, { color: false }), token);
    expectNoTokenPart('the terminal rendering (colour)', renderTerminal(report, { color: true }), token);
    expectNoTokenPart('stdout/stderr/console while diagnosing', written, token);

    // What a worker logs about a job: the report, and a failure whose message carries the token by mistake.
    const logged: Buffer[] = [];
    const destination = new PassThrough();
    destination.on('data', (c: Buffer) => logged.push(c));
    const logger = createLogger('hardening', { destination, level: 'debug' });
    logger.info({ report, tokenFingerprint: report.tokenFingerprint }, 'diagnosis done');
    logger.error({ err: new Error(`verification failed for ${token}`) }, `job failed with token ${token}`);
    logger.debug({ job: { token, data: { rawToken: token } } }, 'job data');
    await new Promise<void>((resolve) => setImmediate(resolve));
    const logText = Buffer.concat(logged).toString('utf8');
    expect(logText).toContain('diagnosis done');
    expectNoTokenPart('the logger output', logText, token);

    // Nor was it sent anywhere: not to the cluster, not to the issuer.
    const sent = [...api.requests.map((r) => `${r.path}?${JSON.stringify(r.query)}`), ...issuer.requests.map((r) => r.path)].join('\n');
    expect(api.requests.length).toBeGreaterThan(5);
    expectNoTokenPart('requests to the cluster and issuer', sent, token);
    return report;
  }

  it('a valid token: the diagnosis verifies it and still shows no part of it', async () => {
    const token = await issuer.sign({ sub: 'alice', aud: 'httpbin.foo.svc.cluster.local' });
    const report = await expectClean(token);
    expect(report.checks.find((c) => c.id === 'token.signature')?.status).toBe('pass');
    expect(report.tokenFingerprint).toMatch(/^[0-9a-f]{12}$/);
  });

  it('a tampered token (signature fails) and an expired one', async () => {
    const good = await issuer.sign({ sub: 'alice', aud: 'httpbin.foo.svc.cluster.local' });
    const [h, p, s = ''] = good.split('.');
    const tampered = `${h}.${p}.${s.slice(0, -6)}${s.slice(-6).split('').reverse().join('')}`;
    const bad = await expectClean(tampered);
    expect(bad.checks.find((c) => c.id === 'token.signature')?.status).toBe('fail');

    const expired = await issuer.sign({ sub: 'bob', aud: 'httpbin.foo.svc.cluster.local', exp: Math.floor(Date.now() / 1000) - 7200 });
    const old = await expectClean(expired);
    expect(old.checks.find((c) => c.id === 'token.time')?.status).toBe('fail');
  });

  it('a token pasted with its Bearer prefix', async () => {
    const signed = await issuer.sign({ sub: 'carol', aud: 'httpbin.foo.svc.cluster.local' });
    const { report, written } = await diagnoseCapturing(`Bearer ${signed}`);
    expect(report.checks.find((c) => c.id === 'token.signature')?.status).toBe('pass');
    expectNoTokenPart('the report JSON (Bearer prefix)', JSON.stringify(report), signed);
    expectNoTokenPart('the terminal rendering (Bearer prefix)', renderTerminal(report, { color: false }), signed);
    expectNoTokenPart('stdout/stderr/console (Bearer prefix)', written, signed);
  });
});
