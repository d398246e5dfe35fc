/**
 * Hardening (issue 5): when the Kubernetes API hangs or answers 500 on one read, the checks that need that read
 * are `error` with a sentence, the diagnosis still resolves (within the request timeout plus a margin, never a
 * hang), and every other check still runs on the evidence that did arrive.
 */
import { CHECK_IDS } from '../../src/checks/index.js';
import { diagnose } from '../../src/diagnose.js';
import type { Report } from '../../src/engine/report.js';
import { GuardedFetcher } from '../../src/evidence/guarded-fetch.js';
import { LiveClusterSource } from '../../src/evidence/kube-live.js';
import { startKubeApiServer } from '../support/kube-api-server.js';
import type { KubeApiServer, KubeFixture } from '../support/kube-api-server.js';
import { startIssuer } from '../support/oidc-issuer.js';
import type { TestIssuer } from '../support/oidc-issuer.js';
import { TARGET, hardeningCluster } from './fixtures/cluster.js';

const REQUEST_TIMEOUT_MS = 400;
/** Client start-up, the checks, and a loaded CI machine. */
const MARGIN_MS = 2_500;

describe('hardening: Kubernetes API failures', () => {
  let issuer: TestIssuer;
  let api: KubeApiServer;

  beforeAll(async () => {
    issuer = await startIssuer();
    api = await startKubeApiServer({ objects: [] });
  });
  afterAll(async () => {
    await api.close();
    await issuer.close();
  });

  async function run(failing: KubeFixture['failing']): Promise<{ report: Report; elapsedMs: number; requests: number }> {
    api.requests.length = 0;
    api.setFixture(hardeningCluster({ issuer: issuer.issuer, jwksUri: issuer.jwksUri }, { failing }));
    const source = LiveClusterSource.fromKubeconfig({ kubeconfigYaml: api.kubeconfigYaml, requestTimeoutMs: REQUEST_TIMEOUT_MS });
    const fetcher = new GuardedFetcher({ timeoutMs: 2_000 });
    const started = performance.now();
    try {
      const report = await diagnose({ target: TARGET, source, fetcher });
      return { report, elapsedMs: performance.now() - started, requests: source.requestCount() };
    } finally {
      await fetcher.close();
    }
  }

  const result = (report: Report, id: string) => {
    const found = report.checks.find((c) => c.id === id);
    if (!found) throw new Error(`no ${id} result`);
    return found;
  };

  /** A user-facing sentence: starts with a capital or a name, ends with a full stop, no stack trace. */
  function expectSentence(text: string | undefined): void {
    expect(text).toBeDefined();
    expect((text ?? '').length).toBeGreaterThan(20);
    expect(text).toMatch(/[.!?)]$/);
    expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);
  }

  it('a pod list that never answers: pod checks are error (timeout) within the request timeout, the rest run', async () => {
    const { report, elapsedMs } = await run([{ pattern: 'list pods foo', status: 'hang' }]);
    expect(elapsedMs).toBeLessThan(REQUEST_TIMEOUT_MS + MARGIN_MS);
    expect(new Set(report.checks.map((c) => c.id))).toEqual(new Set(CHECK_IDS));

    const pods = result(report, 'workload.pods');
    expect(pods.status).toBe('error');
    expectSentence(pods.detail);
    expect(pods.detail).toMatch(/time|answer|within/i);
    expect(pods.fix).toBeDefined();
    expect(result(report, 'workload.sidecar').status).toBe('error');

    // The reads that did not hang still count.
    expect(result(report, 'workload.service').status).toBe('pass');
    expect(result(report, 'issuer.jwks').status).toBe('pass');
    // istiod's log read waits for the pod list (the workload's revision picks the istiod), so under the one
    // deadline for all Kubernetes reads (issue 10) it cannot start; its result says which read it waited for.
    const istiod = result(report, 'istiod.jwks-fetch');
    if (istiod.status === 'error') expect(istiod.detail).toContain('still waiting for list pods in namespace foo');
    expect(report.verdict.status).not.toBe('pass');
  });

  it('the Service read answers 500: workload.service is error with the reason; the policy lists still run', async () => {
    const { report, elapsedMs } = await run([{ pattern: 'get services foo', status: 500 }]);
    expect(elapsedMs).toBeLessThan(REQUEST_TIMEOUT_MS + MARGIN_MS);
    const service = result(report, 'workload.service');
    expect(service.status).toBe('error');
    expectSentence(service.detail);
    expect(service.detail).toMatch(/500|internal|server/i);
    expect(service.fix).toBeDefined();
    // Reads that do not depend on the Service still happen: the policy lists and istiod's log.
    const reads = api.requests.map((r) => `${r.verb} ${r.resource} ${r.namespace ?? ''}`);
    expect(reads).toEqual(expect.arrayContaining(['list requestauthentications.security.istio.io foo', 'get pods/log istio-system']));
    // …while the chained ones (pods need the Service's selector) are not attempted.
    expect(reads).not.toContain('list pods foo');
  });

  it('the RequestAuthentication list hangs: policy-based checks are error, workload checks pass', async () => {
    const { report, elapsedMs } = await run([{ pattern: 'list requestauthentications.security.istio.io foo', status: 'hang' }]);
    expect(elapsedMs).toBeLessThan(REQUEST_TIMEOUT_MS + MARGIN_MS);
    const rules = result(report, 'policy.jwt-rules');
    expect(rules.status).toBe('error');
    expectSentence(rules.detail);
    expect(result(report, 'workload.service').status).toBe('pass');
    expect(result(report, 'workload.pods').status).toBe('pass');
    expect(result(report, 'workload.sidecar').status).toBe('pass');
  });

  it('every read hangs: the diagnosis still resolves, with errors, not a hang', async () => {
    const { report, elapsedMs } = await run([{ pattern: '* * *', status: 'hang' }]);
    // Chained reads (service → pods → logs) are not started when their input failed, so one timeout, not three.
    expect(elapsedMs).toBeLessThan(REQUEST_TIMEOUT_MS + MARGIN_MS);
    expect(result(report, 'workload.service').status).toBe('error');
    expect(report.verdict.status).toBe('error');
    for (const c of report.checks.filter((r) => r.status === 'error')) expectSentence(c.detail);
  });
});
