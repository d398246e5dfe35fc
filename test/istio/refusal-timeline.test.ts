/**
 * The refusal timeline (issue: "When did it start, and what changed just before"), from evidence as the
 * readers produce it: access-log text in each format Istio has printed, policies with the metadata the API
 * server writes (creationTimestamp, generation, managedFields), pods with start and restart times.
 */
import { parseAllDocuments } from 'yaml';
import { summariseAccessLog } from '../../src/istio/logs/access-log.js';
import { toPodInfo } from '../../src/istio/kube-objects.js';
import { normalisePolicies } from '../../src/istio/policies.js';
import { buildRefusalTimeline, MAX_BUCKETS, type TimelineInput } from '../../src/istio/refusal-timeline.js';
import { sparkline, sparklineLine, timelineHeadline } from '../../src/render/timeline-text.js';
import { missing, present, type KubeObject, type PodInfo, type TokenEvidence } from '../../src/model/index.js';

const NO_TOKEN: TokenEvidence = { provided: false, warnings: [], verification: {} };

/** One access-log line of Istio 1.9+'s default TEXT format (ISTIO-JWT.md §4.4). */
function textLine(time: string, code: number, details: string): string {
  return `[${time}] "GET /headers HTTP/1.1" ${code} - ${details} - "-" 0 ${code === 200 ? 519 : 14} 3 2 "-" "curl/8.7.1" "5c0e6d2a-1" "httpbin.foo:8000" "10.244.0.12:8080" inbound|8080|| 127.0.0.6:51123 10.244.0.12:8080 10.244.0.9:40122 outbound_.8000_._.httpbin.foo.svc.cluster.local default`;
}
/** Istio 1.8: no details field. */
function noDetailsLine(time: string, code: number): string {
  return `[${time}] "GET /headers HTTP/1.1" ${code} - "-" 0 ${code === 200 ? 519 : 29} 3 2 "-" "curl/7.58.0" "6a1e4c0d" "httpbin.foo:8000" "127.0.0.1:8000" inbound|8000|http|httpbin.foo.svc.cluster.local - 10.244.1.7:8000 10.244.1.1:40122 outbound_.8000_._.httpbin.foo.svc.cluster.local default`;
}
/** Istio 1.2–1.7: the quoted mixer status where details sit now. */
function mixerLine(time: string, code: number): string {
  return `[${time}] "GET /headers HTTP/1.1" ${code} - "-" "-" 0 ${code === 200 ? 519 : 14} 3 2 "-" "curl/7.58.0" "6a1e4c0d" "httpbin.foo:8000" "127.0.0.1:80" inbound|8000|http|httpbin.foo.svc.cluster.local - 10.244.1.7:80 10.244.1.1:40122 outbound_.8000_._.httpbin.foo.svc.cluster.local -`;
}
/** JSON encoding (meshConfig.accessLogEncoding: JSON). */
function jsonLine(time: string, code: number, details: string): string {
  return JSON.stringify({ start_time: time, method: 'GET', path: '/headers', protocol: 'HTTP/1.1', response_code: code, response_flags: '-', response_code_details: details, authority: 'httpbin.foo:8000' });
}

/** `perMinute[i]` = [200s, 401s] in minute 14:0i. */
function textLog(perMinute: ReadonlyArray<readonly [number, number]>, at = '2026-11-29T14:0', line = textLine): string {
  const lines: string[] = [];
  perMinute.forEach(([ok, refused], minute) => {
    for (let i = 0; i < ok; i += 1) lines.push(line(`${at}${minute}:${String(10 + i).padStart(2, '0')}.412Z`, 200, 'via_upstream'));
    for (let i = 0; i < refused; i += 1) lines.push(line(`${at}${minute}:${String(30 + i).padStart(2, '0')}.118Z`, 401, 'jwt_authn_access_denied{Jwt_issuer_is_not_configured}'));
  });
  return lines.join('\n') + '\n';
}

const POLICIES_YAML = `
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata:
  name: jwt-example
  namespace: foo
  creationTimestamp: "2026-11-20T09:00:00Z"
  generation: 3
  managedFields:
  - manager: kubectl-client-side-apply
    operation: Update
    apiVersion: security.istio.io/v1
    time: "2026-11-20T09:00:00Z"
  - manager: kubectl-client-side-apply
    operation: Update
    apiVersion: security.istio.io/v1
    time: "2026-11-29T14:02:00Z"
spec:
  selector:
    matchLabels:
      app: httpbin
  jwtRules:
  - issuer: "https://auth.example.com/"
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: require-jwt
  namespace: foo
  creationTimestamp: "2026-11-20T09:00:00Z"
  generation: 1
spec:
  selector:
    matchLabels:
      app: httpbin
  action: ALLOW
  rules:
  - from:
    - source:
        requestPrincipals: ["https://auth.example.com//*"]
`;

function policies(yaml = POLICIES_YAML) {
  const docs = parseAllDocuments(yaml).map((d) => d.toJS() as KubeObject);
  return normalisePolicies({
    target: { service: 'httpbin', namespace: 'foo' },
    service: { name: 'httpbin', namespace: 'foo', labels: { app: 'httpbin' }, selector: { app: 'httpbin' }, ports: [{ name: 'http', port: 8000 }] },
    pods: [pod()],
    namespace: { name: 'foo', exists: true, labels: { 'istio-injection': 'enabled' } },
    rootNamespace: 'istio-system',
    istioVersion: { major: 1, minor: 24, patch: 2, raw: '1.24.2' } as never,
    requestAuthentications: docs.filter((d) => d.kind === 'RequestAuthentication'),
    authorizationPolicies: docs.filter((d) => d.kind === 'AuthorizationPolicy'),
    legacyPolicies: undefined,
    meshPolicies: undefined,
  });
}

function pod(status: Record<string, unknown> = {}): PodInfo {
  return toPodInfo({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'httpbin-7d9c5b8f4-h4rdn', namespace: 'foo', labels: { app: 'httpbin' } },
    spec: { containers: [{ name: 'httpbin' }, { name: 'istio-proxy' }] },
    status: {
      phase: 'Running',
      startTime: '2026-11-28T08:00:00Z',
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [
        { name: 'httpbin', ready: true, restartCount: 0, state: { running: { startedAt: '2026-11-28T08:00:05Z' } } },
        { name: 'istio-proxy', ready: true, restartCount: 0, state: { running: { startedAt: '2026-11-28T08:00:04Z' } } },
      ],
      ...status,
    },
  });
}

function input(log: string, extra: Partial<TimelineInput> = {}): TimelineInput {
  return {
    proxyLogs: present({ access: summariseAccessLog(log) }),
    policies: present(policies()),
    pods: present([pod()]),
    istiodLogs: present({ pod: 'istiod-1', lines: 0, fetchFailures: [], ackErrors: [], keyUpdates: [] }),
    issuers: present({}),
    token: NO_TOKEN,
    ...extra,
  };
}

describe('refusal timeline: when refusals started', () => {
  it('names a policy update as the likely trigger, with the gap in minutes', () => {
    // 200s at 14:00–14:03, then 401s from 14:04 (the RA changed at 14:02).
    const t = buildRefusalTimeline(input(textLog([[5, 0], [5, 0], [5, 0], [5, 0], [1, 4], [0, 5], [0, 5], [0, 6]])))!;
    expect(t.run).toMatchObject({ since: '2026-11-29T14:04:00.000Z', sinceKnown: true, ongoing: true, codes: [401] });
    expect(t.run?.sharePercent).toBe(Math.round((20 / 21) * 100));
    expect(t.likelyTrigger).toMatchObject({ minutesBefore: 2, change: { kind: 'policy', what: 'RequestAuthentication foo/jwt-example was updated (generation 3)' } });
    expect(timelineHeadline(t)).toBe(
      '401s since 14:04 UTC, 95 % of requests, still ongoing; 2 min after RequestAuthentication foo/jwt-example was updated (generation 3) at 14:02 UTC',
    );
    expect(t.coveredFrom).toBe('2026-11-29T14:00:00.000Z');
    expect(t.coveredTo).toBe('2026-11-29T14:08:00.000Z');
    expect(sparkline(t)).toBe('▁▁▁▁▆▇▇█'); // 4, 5, 5, 6 refusals scaled to 7 bar heights
    expect(sparklineLine(t)).toBe('▁▁▁▁▆▇▇█ refusals per minute, 14:00–14:08 UTC (the span the log tail covers)');
  });

  it('names a pod restart when it is the latest change before the refusals', () => {
    const restarted = pod({
      containerStatuses: [
        { name: 'httpbin', ready: true, restartCount: 0, state: { running: { startedAt: '2026-11-28T08:00:05Z' } } },
        { name: 'istio-proxy', ready: true, restartCount: 2, state: { running: { startedAt: '2026-11-29T14:03:40Z' } } },
      ],
    });
    const t = buildRefusalTimeline(input(textLog([[5, 0], [5, 0], [5, 0], [5, 0], [0, 5], [0, 5]]), { pods: present([restarted]) }))!;
    expect(t.likelyTrigger?.change).toEqual({ kind: 'pod-restart', at: '2026-11-29T14:03:40.000Z', what: 'a container of pod httpbin-7d9c5b8f4-h4rdn restarted' });
    expect(timelineHeadline(t)).toContain('right after a container of pod httpbin-7d9c5b8f4-h4rdn restarted at 14:03 UTC');
  });

  it("lists a key rotation seen as the token's kid missing from the key set now", () => {
    const set = policies();
    const rule = set.jwtRules.find((r) => r.applies)!;
    const keySet = { keys: [{ kid: 'new-2026-11', kty: 'RSA', alg: 'RS256', usable: true }], jwks: { keys: [] } };
    const token: TokenEvidence = { provided: true, header: { alg: 'RS256', kid: 'old-2026-10' }, claims: { iss: 'https://auth.example.com/' }, warnings: [], verification: {} };
    const t = buildRefusalTimeline(
      input(textLog([[5, 0], [0, 5]]), {
        policies: present(set),
        issuers: present({ [rule.key]: { ruleKey: rule.key, keySource: 'jwksUri', keySet: present(keySet) } as never }),
        token,
      }),
    )!;
    expect(t.changes.at(-1)).toEqual({
      kind: 'key-rotation',
      what: "the token's key id old-2026-10 is not in https://auth.example.com/'s key set now: the issuer rotated its keys",
    });
  });

  it('names istiod\'s first key-fetch failure, not its last', () => {
    const istiod = present({
      pod: 'istiod-1',
      lines: 40,
      fetchFailures: [{ url: 'https://auth.example.com/keys', cause: 'x509: certificate signed by unknown authority', placeholder: true, count: 7, time: '2026-11-29T14:09:00Z', firstTime: '2026-11-29T14:03:12.5Z' }],
      ackErrors: [],
      keyUpdates: [],
    });
    const t = buildRefusalTimeline(input(textLog([[5, 0], [5, 0], [5, 0], [5, 0], [0, 5]]), { istiodLogs: istiod }))!;
    expect(t.likelyTrigger).toMatchObject({ minutesBefore: 1, change: { kind: 'istiod-fetch-failure', what: 'istiod first failed to fetch the keys from https://auth.example.com/keys' } });
  });

  it('never claims a start earlier than the span: refusals from the first line on are "since … or earlier"', () => {
    const t = buildRefusalTimeline(input(textLog([[0, 3], [0, 4], [0, 5]])))!;
    expect(t.run).toMatchObject({ sinceKnown: false, since: '2026-11-29T14:00:00.000Z', ongoing: true, sharePercent: 100 });
    expect(t.likelyTrigger).toBeUndefined(); // the policy changed at 14:02, but the refusals may predate the log
    expect(timelineHeadline(t)).toBe('401s since 14:00 UTC or earlier (the log tail starts there), 100 % of requests, still ongoing');
  });

  it('says when refusals stopped', () => {
    const t = buildRefusalTimeline(input(textLog([[5, 0], [0, 5], [0, 5], [5, 0], [5, 0]])))!;
    expect(t.run).toMatchObject({ ongoing: false, until: '2026-11-29T14:03:00.000Z' });
    expect(timelineHeadline(t)).toMatch(/^401s since 14:01 UTC, 100 % of requests, none after 14:03 UTC/);
  });

  it('adds nothing for a healthy workload', () => {
    const t = buildRefusalTimeline(input(textLog([[5, 0], [5, 0], [5, 0]])))!;
    expect(t.run).toBeUndefined();
    expect(t.refusals).toBe(0);
    expect(timelineHeadline(t)).toBeUndefined();
    expect(sparklineLine(t)).toBeUndefined();
  });

  it('has no timeline without timestamped access lines or without the log', () => {
    expect(buildRefusalTimeline(input('2026-11-29T14:00:00.000Z\tinfo\tEnvoy proxy is ready\n'))).toBeUndefined();
    expect(buildRefusalTimeline(input('', { proxyLogs: missing('forbidden', 'no') }))).toBeUndefined();
  });
});

describe('refusal timeline: every access-log format Istio has printed', () => {
  const cases: ReadonlyArray<readonly [string, (time: string, code: number, details: string) => string]> = [
    ['TEXT with details (1.9+)', textLine],
    ['TEXT without details (1.8, 1.0/1.1 samples)', (time, code) => noDetailsLine(time, code)],
    ['TEXT with mixer status (1.2–1.7)', (time, code) => mixerLine(time, code)],
    ['JSON', jsonLine],
  ];
  it.each(cases)('%s: refusals counted per minute, all pods merged', (_name, line) => {
    const podA = textLog([[3, 0], [2, 0], [0, 3]], '2026-11-29T14:0', line);
    const podB = textLog([[2, 0], [3, 0], [1, 2]], '2026-11-29T14:0', line);
    const t = buildRefusalTimeline(input(`${podA}\n${podB}`))!;
    expect(t.buckets.map((b) => [b.requests, b.refusals])).toEqual([[5, 0], [5, 0], [6, 5]]);
    expect(t.run).toMatchObject({ since: '2026-11-29T14:02:00.000Z', sinceKnown: true, ongoing: true, codes: [401] });
  });
});

describe('refusal timeline: bucket size follows the span', () => {
  it(`keeps at most ${MAX_BUCKETS} buckets over a long tail`, () => {
    const lines = Array.from({ length: 180 }, (_, m) => textLine(new Date(Date.UTC(2026, 10, 29, 11, m, 5)).toISOString(), m >= 170 ? 401 : 200, m >= 170 ? 'jwt_authn_access_denied{Jwt_is_expired}' : 'via_upstream'));
    const t = buildRefusalTimeline(input(lines.join('\n')))!;
    expect(t.bucketSeconds).toBe(180);
    expect(t.buckets).toHaveLength(60);
    expect(t.requests).toBe(180);
    expect(t.run?.since).toBe('2026-11-29T13:48:00.000Z');
    expect(sparklineLine(t)).toMatch(/per 3 min, 11:00–14:00 UTC/);
  });
});
