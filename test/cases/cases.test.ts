/**
 * The pipeline grid: every scenario under test/cases/ runs the REAL diagnose() with the REAL LiveClusterSource
 * (kubeconfig of the fake Kubernetes API server) and the REAL GuardedFetcher against a jose issuer on 127.0.0.1.
 * Each scenario asserts its verdict and the results it names; the meta-tests at the end prove that every
 * catalogue id has been seen passing and not passing (fail/warn/error) somewhere in the grid, and that a
 * diagnosis makes a small, fixed number of read-only Kubernetes requests.
 */
import { readFileSync as readRoleFile } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { isAllowedByClusterRole } from '../support/rbac-rules.js';
import { CHECK_IDS } from '../../src/checks/index.js';
import type { CheckResult, CheckStatus } from '../../src/engine/check.js';
import { diagnose } from '../../src/diagnose.js';
import type { Report } from '../../src/engine/report.js';
import { GuardedFetcher } from '../../src/evidence/guarded-fetch.js';
import { LiveClusterSource } from '../../src/evidence/kube-live.js';
import { MAX_PODS_LOGGED } from '../../src/evidence/read-logs.js';
import { startKubeApiServer, type KubeApiServer, type RecordedKubeRequest } from '../support/kube-api-server.js';
import { startIssuer, type TestIssuer } from '../support/oidc-issuer.js';
import { listCases, materialiseCase, readCase, type Expected, type ExpectedCheck } from './load-case.js';

interface Ran {
  report: Report;
  expected: Expected;
  token?: string;
  kubeRequests: RecordedKubeRequest[];
  fetchedUrls: string[];
  issuer: string;
  podsWithProxy: number;
}

const CASES = listCases();
const ran = new Map<string, Ran>();
/** id -> statuses seen across the grid. */
const seen = new Map<string, Set<CheckStatus>>();

let kube: KubeApiServer;

beforeAll(async () => {
  kube = await startKubeApiServer({ objects: [] });
});

afterAll(async () => {
  await kube.close();
});

/** Runs one scenario (once: later tests reuse the report). */
async function run(name: string): Promise<Ran> {
  const done = ran.get(name);
  if (done) return done;
  const raw = readCase(name);
  const issuer: TestIssuer = await startIssuer({
    ...(raw.issuer.path !== undefined ? { path: raw.issuer.path } : {}),
    ...(raw.issuer.mode !== undefined ? { mode: raw.issuer.mode } : {}),
  });
  const fetcher = new GuardedFetcher({ timeoutMs: 3000 });
  try {
    const { fixture, token, expected } = await materialiseCase(raw, issuer);
    kube.setFixture(fixture);
    kube.requests.length = 0;
    const source = LiveClusterSource.fromKubeconfig({ kubeconfigYaml: kube.kubeconfigYaml, requestTimeoutMs: 5000 });
    const report = await diagnose({
      target: { ...expected.target, cluster: source.name },
      source,
      fetcher,
      ...(token !== undefined ? { token } : {}),
    });
    // Pods behind the target Service that run a sidecar: the ones whose istio-proxy log may be read.
    const service = fixture.objects.find(
      (o) => o.kind === 'Service' && o.metadata?.name === expected.target.service && o.metadata?.namespace === expected.target.namespace,
    );
    const selector = ((service?.spec ?? {}) as { selector?: Record<string, string> }).selector ?? {};
    const podsWithProxy = service === undefined || Object.keys(selector).length === 0 ? 0 : fixture.objects.filter((o) => {
      const labels = (o.metadata?.labels ?? {}) as Record<string, string>;
      return (
        o.kind === 'Pod' &&
        o.metadata?.namespace === expected.target.namespace &&
        Object.entries(selector).every(([k, v]) => labels[k] === v) &&
        JSON.stringify(o.spec ?? {}).includes('"name":"istio-proxy"')
      );
    }).length;
    const result: Ran = {
      report,
      expected,
      ...(token !== undefined ? { token } : {}),
      kubeRequests: [...kube.requests],
      fetchedUrls: fetcher.fetchedUrls(),
      issuer: issuer.issuer,
      podsWithProxy,
    };
    ran.set(name, result);
    for (const r of report.checks) {
      const set = seen.get(r.id) ?? new Set<CheckStatus>();
      set.add(r.status);
      seen.set(r.id, set);
    }
    return result;
  } finally {
    await fetcher.close();
    await issuer.close();
  }
}

function describeResults(results: readonly CheckResult[]): string {
  return results.map((r) => `  ${r.status.padEnd(5)} ${r.id}${r.subject ? ` [${r.subject}]` : ''}: ${r.detail}`).join('\n');
}

function expectWords(text: string, words: readonly string[] | undefined, context: string): void {
  for (const word of words ?? []) {
    if (!text.includes(word)) throw new Error(`${context}: expected "${word}" in:\n  ${text}`);
  }
}

/** One expected result: pass/skip for every result of the id; fail/warn/error for at least one (words in the first such). */
function assertCheck(report: Report, id: string, want: ExpectedCheck, all: string): void {
  expect(CHECK_IDS).toContain(id);
  const mine = report.checks.filter((r) => r.id === id);
  const strict = want.status === 'pass' || want.status === 'skip';
  const hit = mine.find((r) => r.status === want.status);
  if (!hit || (strict && mine.some((r) => r.status !== want.status))) {
    throw new Error(`${id}: got ${mine.map((r) => r.status).join(', ') || 'no result'}, expected ${want.status}\n${all}`);
  }
  expectWords(hit.detail, want.detail, `${id} detail`);
  expectWords(hit.title, want.title, `${id} title`);
  expectWords(hit.fix ?? '', want.fix, `${id} fix`);
  if (hit.status === 'fail' || hit.status === 'warn' || hit.status === 'error') {
    expect(hit.fix ?? '').not.toBe('');
  }
}

describe.each(CASES)('scenario %s', (name) => {
  it('gives the expected verdict and results', async () => {
    const { report, expected } = await run(name);
    const all = describeResults(report.checks);
    const verdict = report.verdict;
    if (verdict.status !== expected.verdict.status || (expected.verdict.checkId !== undefined && verdict.checkId !== expected.verdict.checkId)) {
      throw new Error(
        `verdict ${verdict.status} ${verdict.checkId ?? ''} (${verdict.summary}), expected ${expected.verdict.status} ${expected.verdict.checkId ?? ''}\n${all}`,
      );
    }
    expectWords(verdict.summary, expected.verdict.summary, 'verdict summary');
    for (const [id, want] of Object.entries(expected.checks)) assertCheck(report, id, want, all);
  });

  for (const bug of readCase(name).knownBugIds) {
    it.failing(`known bug: ${bug.id} should be ${bug.status}${bug.note ? ` (${bug.note})` : ''}`, async () => {
      const { report, expected } = await run(name);
      const want = expected.knownBugs[bug.id];
      if (!want) throw new Error(`no knownBugs entry for ${bug.id}`);
      assertCheck(report, bug.id, want, describeResults(report.checks));
    });
  }

  it('lists every catalogue id, in catalogue order', async () => {
    const { report } = await run(name);
    const ids = report.checks.map((c) => c.id).filter((id, i, list) => list[i - 1] !== id);
    expect(ids).toEqual([...CHECK_IDS]);
    expect(Object.values(report.counts).reduce((a, b) => a + b, 0)).toBe(report.checks.length);
  });

  it('makes only GET requests to Kubernetes, a fixed small number, and fetches only URLs of the issuer', async () => {
    const { report, kubeRequests, fetchedUrls, issuer, token, podsWithProxy, expected } = await run(name);
    expect(kubeRequests.length).toBeGreaterThan(0);
    expect(kubeRequests.filter((r) => r.method !== 'GET')).toEqual([]);
    expect(kubeRequests.filter((r) => r.verb !== 'get' && r.verb !== 'list')).toEqual([]);
    // The shipped read-only ClusterRole (manifests/) must allow every request a real diagnosis makes.
    expect(kubeRequests.filter((r) => !isAllowedByClusterRole(r, CLUSTER_ROLE)).map((r) => `${r.verb} ${r.resource}`)).toEqual([]);
    // Every log read is bounded.
    for (const r of kubeRequests.filter((q) => q.resource === 'pods/log')) {
      expect(r.query['tailLines']).toBeDefined();
      expect(r.query['limitBytes']).toBeDefined();
    }
    const proxyLogReads = kubeRequests.filter((q) => q.resource === 'pods/log' && q.namespace === expected.target.namespace);
    expect(proxyLogReads.length).toBe(Math.min(podsWithProxy, MAX_PODS_LOGGED));
    expect(kubeRequests.length).toBeLessThanOrEqual(MAX_KUBE_REQUESTS);
    for (const url of fetchedUrls) expect(url.startsWith(`${issuer}/`)).toBe(true);
    // The report never carries the token's signature (nor an opaque token).
    if (token !== undefined && !token.includes('.')) expect(JSON.stringify(report)).not.toContain(token);
    if (token?.includes('.')) {
      const signature = token.split('.')[2] ?? '';
      if (signature.length > 8) expect(JSON.stringify(report)).not.toContain(signature);
    }
  });
});

/**
 * Requests of one diagnosis with a sidecar and an istiod pod, counted on the fake API server:
 * get service, get namespace, list pods (service selector), list pods (app=istiod), RA + AP lists in the
 * namespace and the root namespace (4), the legacy Policy list (1: it answers 404 on a modern cluster, so
 * MeshPolicy, in the same API group, is not asked), istiod log (1) = 10, plus one istio-proxy log per pod
 * with a sidecar, at most MAX_PODS_LOGGED.
 */
const CLUSTER_ROLE = parseYaml(readRoleFile(new URL('../../manifests/clusterrole.yaml', import.meta.url), 'utf8'));

const BASE_KUBE_REQUESTS = 10;
/**
 * Worst case: + list service names (unknown Service), + list pods istio=pilot (pre-1.5 Pilot), + 4 lists when
 * security.istio.io v1 is not served and v1beta1 is tried next (an Istio 1.0 cluster), + MAX_PODS_LOGGED logs.
 */
const MAX_KUBE_REQUESTS = BASE_KUBE_REQUESTS - 1 + 1 + 1 + 4 + MAX_PODS_LOGGED + 1;

describe('the grid as a whole', () => {
  it(`makes the same number of Kubernetes requests for 1 pod and 3 pods, apart from one log read per sidecar (base ${BASE_KUBE_REQUESTS})`, async () => {
    const one = await run('healthy');
    const three = await run('three-replicas');
    const count = (r: Ran): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const q of r.kubeRequests) out[`${q.verb} ${q.resource}`] = (out[`${q.verb} ${q.resource}`] ?? 0) + 1;
      return out;
    };
    const oneCounts = count(one);
    const threeCounts = count(three);
    console.log(
      `Kubernetes requests per diagnosis: 1 pod = ${one.kubeRequests.length}, 3 pods = ${three.kubeRequests.length}\n` +
        `  1 pod:  ${JSON.stringify(oneCounts)}\n  3 pods: ${JSON.stringify(threeCounts)}`,
    );
    expect(one.kubeRequests.length).toBe(BASE_KUBE_REQUESTS + 1);
    expect(three.kubeRequests.length).toBe(BASE_KUBE_REQUESTS + 3);
    const { ['get pods/log']: oneLogs, ...oneRest } = oneCounts;
    const { ['get pods/log']: threeLogs, ...threeRest } = threeCounts;
    expect(oneRest).toEqual(threeRest);
    expect([oneLogs, threeLogs]).toEqual([2, 4]); // istiod + one per sidecar
  });

  it('covers every check id with a pass and with a fail/warn/error somewhere in the grid', async () => {
    for (const name of CASES) await run(name);
    const missingPass = CHECK_IDS.filter((id) => !seen.get(id)?.has('pass'));
    const missingProblem = CHECK_IDS.filter((id) => {
      const s = seen.get(id);
      return !(s?.has('fail') || s?.has('warn') || s?.has('error'));
    });
    const table = CHECK_IDS.map((id) => `${id.padEnd(26)} ${[...(seen.get(id) ?? [])].sort().join(',')}`).join('\n');
    console.log(`Statuses seen per check across ${CASES.length} scenarios:\n${table}`);
    expect({ missingPass, missingProblem }).toEqual({ missingPass: [], missingProblem: [] });
  });
});
