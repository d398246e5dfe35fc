/**
 * Proves the test support servers behave like the real thing for the REAL clients the product uses:
 * @kubernetes/client-node, jose, Bolt's WebClient/HTTPReceiver and ioredis. If one of these fails,
 * every test built on the fake is suspect, so the assertions are about wire-level details
 * (Status bodies, content types, rewritten apiVersions, signature checks), not just "it answered".
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { ApiException, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { createRemoteJWKSet, decodeProtectedHeader, decodeJwt, jwtVerify, errors as joseErrors } from 'jose';
import bolt from '@slack/bolt';
import { Redis } from 'ioredis';
import type { KubeObject } from '../src/model/index.js';
import { loadObjects, startKubeApiServer } from './support/kube-api-server.js';
import type { KubeApiServer, KubeFixture } from './support/kube-api-server.js';
import { startIssuer } from './support/oidc-issuer.js';
import type { TestIssuer } from './support/oidc-issuer.js';
import { startFakeSlack } from './support/slack-api.js';
import type { FakeSlack } from './support/slack-api.js';
import { sendEvent, sendInteraction, sendSlashCommand, slackSignature } from './support/slack-request.js';
import { startRedis } from './support/redis.js';

const { App, LogLevel, webApi } = bolt;

// ---------------------------------------------------------------- Kubernetes

const pod = (name: string, labels: Record<string, string>, containers: string[], initContainers: string[] = []): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'foo', labels },
  spec: {
    containers: containers.map((c) => ({ name: c, image: `docker.io/istio/${c}:1.24.2` })),
    ...(initContainers.length > 0 ? { initContainers: initContainers.map((c) => ({ name: c, image: 'x' })) } : {}),
  },
  status: { phase: 'Running' },
});

const cluster: KubeObject[] = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'foo', labels: { 'istio-injection': 'enabled' } } },
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'httpbin', namespace: 'foo', labels: { app: 'httpbin' } },
    spec: { selector: { app: 'httpbin' }, ports: [{ name: 'http', port: 8000, targetPort: 80 }] },
  },
  pod('httpbin-v1-abc', { app: 'httpbin', version: 'v1' }, ['httpbin', 'istio-proxy'], ['istio-init']),
  pod('httpbin-v2-def', { app: 'httpbin', version: 'v2' }, ['httpbin', 'istio-proxy']),
  pod('sleep-1', { app: 'sleep' }, ['sleep']),
  {
    apiVersion: 'security.istio.io/v1',
    kind: 'RequestAuthentication',
    metadata: { name: 'jwt', namespace: 'foo' },
    spec: { selector: { matchLabels: { app: 'httpbin' } }, jwtRules: [{ issuer: 'https://issuer.example' }] },
  },
  {
    apiVersion: 'security.istio.io/v1beta1',
    kind: 'AuthorizationPolicy',
    metadata: { name: 'require-jwt', namespace: 'istio-system' },
    spec: { rules: [{ from: [{ source: { requestPrincipals: ['*'] } }] }] },
  },
  { apiVersion: 'authentication.istio.io/v1alpha1', kind: 'MeshPolicy', metadata: { name: 'default' }, spec: { peers: [{ mtls: {} }] } },
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio', namespace: 'istio-system' }, data: { mesh: 'rootNamespace: istio-system' } },
];

const proxyLog = Array.from({ length: 10 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
const baseFixture: KubeFixture = {
  objects: cluster,
  logs: { 'foo/httpbin-v1-abc/istio-proxy': proxyLog, 'foo/sleep-1/sleep': 'zzz\n' },
};

/** The parsed Status of an ApiException, which the client hands over as raw text. */
function statusOf(err: unknown): { code: number; status: Record<string, unknown> } {
  expect(err).toBeInstanceOf(ApiException);
  const e = err as ApiException<string>;
  return { code: e.code, status: JSON.parse(e.body) as Record<string, unknown> };
}

describe('kube API server with the real @kubernetes/client-node', () => {
  let kube: KubeApiServer;
  let core: CoreV1Api;
  let custom: CustomObjectsApi;
  let dir: string;

  beforeAll(async () => {
    kube = await startKubeApiServer(baseFixture);
    const kc = new KubeConfig();
    kc.loadFromString(kube.kubeconfigYaml);
    core = kc.makeApiClient(CoreV1Api);
    custom = kc.makeApiClient(CustomObjectsApi);
    dir = mkdtempSync(join(tmpdir(), 'jwtcheck-kube-'));
  });
  afterAll(async () => {
    await kube.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    kube.setFixture(baseFixture);
    kube.requests.length = 0;
  });

  it('reads a Service and a Namespace, and records the requests', async () => {
    const svc = await core.readNamespacedService({ name: 'httpbin', namespace: 'foo' });
    expect(svc.spec?.selector).toEqual({ app: 'httpbin' });
    expect(svc.spec?.ports?.[0]?.name).toBe('http');
    const ns = await core.readNamespace({ name: 'foo' });
    expect(ns.metadata?.labels?.['istio-injection']).toBe('enabled');
    // A namespace that only holds objects exists too, like in a real cluster.
    expect((await core.readNamespace({ name: 'istio-system' })).metadata?.name).toBe('istio-system');
    expect(kube.requests[0]).toMatchObject({
      method: 'GET',
      path: '/api/v1/namespaces/foo/services/httpbin',
      verb: 'get',
      resource: 'services',
      apiGroup: '',
      namespace: 'foo',
      status: 200,
    });
    expect(kube.requests[0]?.bytes).toBeGreaterThan(50);
    expect(kube.requests[1]).toMatchObject({ verb: 'get', resource: 'namespaces', namespace: 'foo' });
  });

  it('answers NotFound with a real Status', async () => {
    const err = await core.readNamespacedService({ name: 'nope', namespace: 'foo' }).catch((e: unknown) => e);
    const { code, status } = statusOf(err);
    expect(code).toBe(404);
    expect(status).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'NotFound',
      message: 'services "nope" not found',
      details: { name: 'nope', kind: 'services' },
      code: 404,
    });
    const missingNs = await core.readNamespace({ name: 'bar' }).catch((e: unknown) => e);
    expect(statusOf(missingNs).code).toBe(404);
    // Listing in a namespace that does not exist is an empty list, as on a real server.
    expect((await core.listNamespacedService({ namespace: 'bar' })).items).toEqual([]);
  });

  it('filters pods by label selector and honours limit', async () => {
    const names = async (labelSelector: string): Promise<string[]> =>
      (await core.listNamespacedPod({ namespace: 'foo', labelSelector })).items.map((p) => p.metadata?.name ?? '');
    expect(await names('app=httpbin')).toEqual(['httpbin-v1-abc', 'httpbin-v2-def']);
    expect(await names('app==httpbin,version!=v1')).toEqual(['httpbin-v2-def']);
    expect(await names('app in (httpbin, sleep),version notin (v2)')).toEqual(['httpbin-v1-abc', 'sleep-1']);
    expect(await names('!version')).toEqual(['sleep-1']);
    expect(await names('version')).toEqual(['httpbin-v1-abc', 'httpbin-v2-def']);
    const limited = await core.listNamespacedPod({ namespace: 'foo', labelSelector: 'app=httpbin', limit: 1 });
    expect(limited.items).toHaveLength(1);
    expect(limited.kind).toBe('PodList');
    expect(limited.metadata?.resourceVersion).toBeDefined();
    expect(limited.metadata?._continue).toBeDefined();
    expect(kube.requests.at(-1)?.query).toMatchObject({ labelSelector: 'app=httpbin', limit: '1' });
    const bad = await core.listNamespacedPod({ namespace: 'foo', labelSelector: 'app=(' }).catch((e: unknown) => e);
    expect(statusOf(bad).code).toBe(400);
  });

  it('serves pod logs with tailLines and limitBytes, and refuses an ambiguous container', async () => {
    const tail = await core.readNamespacedPodLog({ name: 'httpbin-v1-abc', namespace: 'foo', container: 'istio-proxy', tailLines: 2 });
    expect(tail).toBe('line 9\nline 10\n');
    const capped = await core.readNamespacedPodLog({
      name: 'httpbin-v1-abc',
      namespace: 'foo',
      container: 'istio-proxy',
      tailLines: 3,
      limitBytes: 10,
    });
    expect(capped).toBe('line 8\nlin');
    expect(kube.requests.at(-1)).toMatchObject({ resource: 'pods/log', verb: 'get', query: { tailLines: '3', limitBytes: '10' } });
    // One container: no name needed. Several: 400 naming them, like the real server.
    expect(await core.readNamespacedPodLog({ name: 'sleep-1', namespace: 'foo' })).toBe('zzz\n');
    const err = await core.readNamespacedPodLog({ name: 'httpbin-v1-abc', namespace: 'foo' }).catch((e: unknown) => e);
    const { code, status } = statusOf(err);
    expect(code).toBe(400);
    expect(status['message']).toBe(
      'a container name must be specified for pod httpbin-v1-abc, choose one of: [httpbin istio-proxy] or one of the init containers: [istio-init]',
    );
    expect(await core.readNamespacedPodLog({ name: 'httpbin-v2-def', namespace: 'foo', container: 'httpbin' })).toBe('');
  });

  it('lists custom objects at any served version of the group, apiVersion rewritten', async () => {
    const v1 = await custom.listNamespacedCustomObject({
      group: 'security.istio.io',
      version: 'v1',
      namespace: 'foo',
      plural: 'requestauthentications',
    });
    expect(v1).toMatchObject({ apiVersion: 'security.istio.io/v1', kind: 'RequestAuthenticationList' });
    expect(v1.items).toHaveLength(1);
    expect(v1.items[0]).toMatchObject({ apiVersion: 'security.istio.io/v1', kind: 'RequestAuthentication', metadata: { name: 'jwt' } });
    const beta = await custom.listNamespacedCustomObject({
      group: 'security.istio.io',
      version: 'v1beta1',
      namespace: 'foo',
      plural: 'requestauthentications',
    });
    expect(beta.items[0].apiVersion).toBe('security.istio.io/v1beta1');
    const allNs = await custom.listClusterCustomObject({ group: 'security.istio.io', version: 'v1', plural: 'authorizationpolicies' });
    expect(allNs.items.map((o: KubeObject) => o.metadata?.namespace)).toEqual(['istio-system']);
    const none = await custom.listNamespacedCustomObject({ group: 'security.istio.io', version: 'v1', namespace: 'foo', plural: 'peerauthentications' });
    expect(none).toMatchObject({ kind: 'PeerAuthenticationList', items: [] });
    const mesh = await custom.listClusterCustomObject({ group: 'authentication.istio.io', version: 'v1alpha1', plural: 'meshpolicies' });
    expect(mesh.items[0].metadata.name).toBe('default');
    expect(kube.requests.at(-1)).toMatchObject({ resource: 'meshpolicies.authentication.istio.io', apiGroup: 'authentication.istio.io', verb: 'list' });
    expect(kube.requests.at(-1)?.namespace).toBeUndefined();
    const one = await custom.getNamespacedCustomObject({ group: 'security.istio.io', version: 'v1', namespace: 'foo', plural: 'requestauthentications', name: 'jwt' });
    expect(one.spec.jwtRules[0].issuer).toBe('https://issuer.example');
  });

  it('answers 404 page not found for an unserved group, like a real API server', async () => {
    kube.setFixture({ objects: cluster.filter((o) => o.kind !== 'MeshPolicy') });
    const err = await custom
      .listClusterCustomObject({ group: 'authentication.istio.io', version: 'v1alpha1', plural: 'meshpolicies' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiException);
    expect((err as ApiException<string>).code).toBe(404);
    expect((err as ApiException<string>).body).toContain('404 page not found');
    const raw = await fetch(`${kube.url}/apis/authentication.istio.io/v1alpha1/meshpolicies`, { headers: { Authorization: 'Bearer test-token' } });
    expect(raw.headers.get('content-type')).toContain('text/plain');
    kube.setFixture({ objects: cluster, servedGroups: ['security.istio.io/v1'] });
    const beta = await custom
      .listNamespacedCustomObject({ group: 'security.istio.io', version: 'v1beta1', namespace: 'foo', plural: 'requestauthentications' })
      .catch((e: unknown) => e);
    expect((beta as ApiException<string>).code).toBe(404);
  });

  it('refuses by RBAC pattern with real Forbidden Status messages', async () => {
    kube.setFixture({
      ...baseFixture,
      forbidden: ['list pods foo', 'get services *', 'get pods/log *', 'list requestauthentications.security.istio.io istio-system', 'list meshpolicies.authentication.istio.io *'],
    });
    const get = statusOf(await core.readNamespacedService({ name: 'httpbin', namespace: 'foo' }).catch((e: unknown) => e));
    expect(get.code).toBe(403);
    expect(get.status).toMatchObject({ reason: 'Forbidden', code: 403, details: { name: 'httpbin', kind: 'services' } });
    expect(get.status['message']).toBe(
      'services "httpbin" is forbidden: User "system:serviceaccount:jwtcheck:jwtcheck" cannot get resource "services" in API group "" in the namespace "foo"',
    );
    const list = statusOf(await core.listNamespacedPod({ namespace: 'foo' }).catch((e: unknown) => e));
    expect(list.status['message']).toBe(
      'pods is forbidden: User "system:serviceaccount:jwtcheck:jwtcheck" cannot list resource "pods" in API group "" in the namespace "foo"',
    );
    // RBAC is per verb and namespace: listing pods elsewhere still works.
    expect((await core.listNamespacedPod({ namespace: 'istio-system' })).items).toEqual([]);
    const log = statusOf(await core.readNamespacedPodLog({ name: 'sleep-1', namespace: 'foo' }).catch((e: unknown) => e));
    expect(log.status['message']).toContain('cannot get resource "pods/log" in API group ""');
    const ra = statusOf(
      await custom
        .listNamespacedCustomObject({ group: 'security.istio.io', version: 'v1', namespace: 'istio-system', plural: 'requestauthentications' })
        .catch((e: unknown) => e),
    );
    expect(ra.status['message']).toBe(
      'requestauthentications.security.istio.io is forbidden: User "system:serviceaccount:jwtcheck:jwtcheck" cannot list resource "requestauthentications" in API group "security.istio.io" in the namespace "istio-system"',
    );
    const mesh = statusOf(
      await custom.listClusterCustomObject({ group: 'authentication.istio.io', version: 'v1alpha1', plural: 'meshpolicies' }).catch((e: unknown) => e),
    );
    expect(mesh.status['message']).toContain('at the cluster scope');
    expect(kube.requests.filter((r) => r.status === 403)).toHaveLength(5);
    expect(kube.requests.every((r) => r.bytes > 0)).toBe(true);
  });

  it('injects 500s and hangs, and close() does not wait for a hung request', async () => {
    const own = await startKubeApiServer({ ...baseFixture, failing: [{ pattern: 'get services foo', status: 500 }, { pattern: 'list pods *', status: 'hang' }] });
    try {
      const kc = new KubeConfig();
      kc.loadFromString(own.kubeconfigYaml);
      const api = kc.makeApiClient(CoreV1Api);
      const failed = statusOf(await api.readNamespacedService({ name: 'httpbin', namespace: 'foo' }).catch((e: unknown) => e));
      expect(failed.code).toBe(500);
      expect(failed.status['reason']).toBe('InternalError');
      const hung = fetch(`${own.url}/api/v1/namespaces/foo/pods`, {
        headers: { Authorization: 'Bearer test-token' },
        signal: AbortSignal.timeout(150),
      });
      await expect(hung).rejects.toThrow();
      expect(own.requests.at(-1)).toMatchObject({ resource: 'pods', verb: 'list', status: 0 });
      // A second hung request is left open on purpose: close() must still return.
      const pending = fetch(`${own.url}/api/v1/namespaces/foo/pods`, { headers: { Authorization: 'Bearer t' } }).catch(() => 'closed');
      await new Promise((r) => setTimeout(r, 30));
      await own.close();
      await expect(pending).resolves.toBe('closed');
    } finally {
      await own.close().catch(() => undefined);
    }
  });

  it('adds latency to every request', async () => {
    kube.setFixture({ ...baseFixture, latencyMs: 60 });
    const started = Date.now();
    await core.readNamespacedService({ name: 'httpbin', namespace: 'foo' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
  });

  it('writes a kubeconfig file and loads objects from multi-document YAML and Lists', async () => {
    const file = kube.writeKubeconfig(dir);
    const kc = new KubeConfig();
    kc.loadFromFile(file);
    expect(kc.getCurrentContext()).toBe('test');
    expect(kc.getCurrentUser()?.token).toBe('test-token');
    expect(kc.getCurrentCluster()?.skipTLSVerify).toBe(true);
    expect((await kc.makeApiClient(CoreV1Api).readNamespacedService({ name: 'httpbin', namespace: 'foo' })).metadata?.name).toBe('httpbin');

    const a = join(dir, 'a.yaml');
    const b = join(dir, 'b.yaml');
    writeFileSync(a, '---\napiVersion: v1\nkind: Service\nmetadata: {name: s1, namespace: foo}\n---\n# only a comment\n---\n');
    writeFileSync(
      b,
      'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p1, namespace: foo}\n- apiVersion: security.istio.io/v1\n  kind: RequestAuthentication\n  metadata: {name: ra, namespace: foo}\n',
    );
    const objects = loadObjects(a, b);
    expect(objects.map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual(['Service/s1', 'Pod/p1', 'RequestAuthentication/ra']);
  });
});

// ---------------------------------------------------------------- OIDC issuer

describe('OIDC issuer with jose', () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await startIssuer({ path: '/realms/demo' });
  });
  afterAll(async () => {
    await issuer.close();
  });
  beforeEach(() => issuer.setMode('ok'));

  it('serves a Keycloak-like discovery document pointing at its JWKS', async () => {
    expect(issuer.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/realms\/demo$/);
    const res = await fetch(issuer.discoveryUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    const doc = (await res.json()) as Record<string, unknown>;
    expect(doc['issuer']).toBe(issuer.issuer);
    expect(doc['jwks_uri']).toBe(issuer.jwksUri);
    for (const field of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'response_types_supported', 'subject_types_supported', 'id_token_signing_alg_values_supported', 'scopes_supported', 'claims_supported', 'grant_types_supported']) {
      expect(doc).toHaveProperty(field);
    }
    const key = issuer.jwks().keys[0];
    expect(key).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(key).toHaveProperty('n');
    expect(key).toHaveProperty('e');
    expect(key).not.toHaveProperty('d');
    expect(issuer.requests.at(-1)?.path).toBe('/realms/demo/.well-known/openid-configuration');
  });

  it('signs tokens that verify against the remote JWKS; a foreign key with the same kid does not', async () => {
    const token = await issuer.sign({ sub: 'alice', aud: 'httpbin' });
    const header = decodeProtectedHeader(token);
    expect(header).toMatchObject({ alg: 'RS256', typ: 'JWT', kid: issuer.jwks().keys[0]?.['kid'] });
    const keys = createRemoteJWKSet(new URL(issuer.jwksUri));
    const { payload } = await jwtVerify(token, keys, { issuer: issuer.issuer, audience: 'httpbin', algorithms: ['RS256'] });
    expect(payload.sub).toBe('alice');
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(3600);

    const foreign = await issuer.sign({ sub: 'alice' }, { key: 'foreign' });
    expect(decodeProtectedHeader(foreign).kid).toBe(header.kid);
    await expect(jwtVerify(foreign, keys)).rejects.toBeInstanceOf(joseErrors.JWSSignatureVerificationFailed);

    const noKid = await issuer.sign({ exp: undefined, iss: 'https://elsewhere' }, { kid: null, header: { typ: 'at+jwt' } });
    expect(decodeProtectedHeader(noKid)).toEqual({ alg: 'RS256', typ: 'at+jwt' });
    expect(decodeJwt(noKid)).not.toHaveProperty('exp');
    expect(decodeJwt(noKid).iss).toBe('https://elsewhere');
  });

  it('rotates: the old key leaves the JWKS', async () => {
    const before = await issuer.sign({ sub: 'bob' });
    const oldKid = decodeProtectedHeader(before).kid;
    await issuer.rotate();
    const kids = issuer.jwks().keys.map((k) => k['kid']);
    expect(kids).toHaveLength(1);
    expect(kids).not.toContain(oldKid);
    const keys = createRemoteJWKSet(new URL(issuer.jwksUri));
    await expect(jwtVerify(before, keys)).rejects.toBeInstanceOf(joseErrors.JWKSNoMatchingKey);
    await expect(jwtVerify(await issuer.sign({ sub: 'bob' }), keys)).resolves.toBeDefined();
  });

  it('reproduces issuer failures', async () => {
    issuer.setMode('discovery-404');
    expect((await fetch(issuer.discoveryUrl)).status).toBe(404);
    issuer.setMode('discovery-html');
    const html = await fetch(issuer.discoveryUrl);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toContain('text/html');
    issuer.setMode('wrong-issuer');
    expect(((await (await fetch(issuer.discoveryUrl)).json()) as { issuer: string }).issuer).toBe(`${issuer.issuer}/`);
    issuer.setMode('no-jwks-uri');
    expect(await (await fetch(issuer.discoveryUrl)).json()).not.toHaveProperty('jwks_uri');
    issuer.setMode('jwks-404');
    await expect(jwtVerify(await issuer.sign({}), createRemoteJWKSet(new URL(issuer.jwksUri)))).rejects.toMatchObject({ code: 'ERR_JOSE_GENERIC' });
    issuer.setMode('jwks-malformed');
    expect(await (await fetch(issuer.jwksUri)).json()).toEqual({ keys: 'nope' });
    await expect(jwtVerify(await issuer.sign({}), createRemoteJWKSet(new URL(issuer.jwksUri)))).rejects.toThrow();
    issuer.setMode('slow', { slowMs: 2000 });
    const keys = createRemoteJWKSet(new URL(issuer.jwksUri), { timeoutDuration: 100 });
    await expect(jwtVerify(await issuer.sign({}), keys)).rejects.toBeInstanceOf(joseErrors.JWKSTimeout);
  });

  it('supports ES256 and close() does not hang on a slow answer', async () => {
    const es = await startIssuer({ alg: 'ES256', mode: 'slow', slowMs: 60_000 });
    expect(es.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(es.jwks().keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    const pending = fetch(es.discoveryUrl).catch(() => 'closed');
    await new Promise((r) => setTimeout(r, 30));
    const started = Date.now();
    await es.close();
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(pending).resolves.toBe('closed');
  });
});

// ---------------------------------------------------------------- Slack

describe('fake Slack Web API with the real WebClient', () => {
  let slack: FakeSlack;
  let client: InstanceType<typeof webApi.WebClient>;
  beforeAll(async () => {
    slack = await startFakeSlack();
    client = new webApi.WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, logLevel: webApi.LogLevel.ERROR });
  });
  afterAll(async () => {
    await slack.close();
  });

  it('answers auth.test and chat.postMessage, recording form args with JSON fields parsed', async () => {
    expect(await client.auth.test()).toMatchObject({ ok: true, user_id: 'U0BOT', bot_id: 'B0BOT', team_id: 'T0TEAM', user: 'jwtcheck' });
    const blocks = [{ type: 'section', block_id: 'check:workload.service', text: { type: 'mrkdwn', text: '✅ ok' } }];
    const first = await client.chat.postMessage({ channel: 'C0INCIDENT', text: 'hello', blocks });
    const second = await client.chat.postMessage({ channel: 'C0INCIDENT', text: 'reply', thread_ts: first.ts ?? '' });
    expect(first).toMatchObject({ ok: true, channel: 'C0INCIDENT', ts: '1700000000.000100', message: { text: 'hello' } });
    expect(second.ts).toBe('1700000000.000101');
    const call = slack.callsTo('chat.postMessage')[0];
    expect(call?.token).toBe('xoxb-test');
    expect(call?.args['blocks']).toEqual(blocks);
    expect(slack.callsTo('chat.postMessage')[1]?.args['thread_ts']).toBe('1700000000.000100');
    expect(await client.chat.update({ channel: 'C0INCIDENT', ts: first.ts ?? '', text: 'edited' })).toMatchObject({ ts: first.ts });
    expect(await client.chat.postEphemeral({ channel: 'C0INCIDENT', user: 'U0ALICE', text: 'psst' })).toHaveProperty('message_ts');
    expect(await client.conversations.open({ users: 'U0ALICE' })).toMatchObject({ channel: { id: 'D0DM' } });
    expect(await client.views.publish({ user_id: 'U0ALICE', view: { type: 'home', blocks: [] } })).toMatchObject({ ok: true });
    expect(slack.callsTo('views.publish')[0]?.args['view']).toEqual({ type: 'home', blocks: [] });
  });

  it('injects platform errors, 500s and 429s, and records them as failed', async () => {
    slack.failNext('chat.postMessage', { error: 'not_in_channel' });
    await expect(client.chat.postMessage({ channel: 'C0X', text: 'x' })).rejects.toMatchObject({
      code: webApi.ErrorCode.PlatformError,
      data: { error: 'not_in_channel' },
    });
    slack.failNext('chat.update', { status: 500 });
    await expect(client.chat.update({ channel: 'C0X', ts: '1', text: 'x' })).rejects.toBeInstanceOf(webApi.WebAPIHTTPError);
    const strict = new webApi.WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, logLevel: webApi.LogLevel.ERROR });
    slack.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 7 }, 2);
    await expect(strict.chat.postMessage({ channel: 'C0X', text: 'x' })).rejects.toMatchObject({ retryAfter: 7 });
    await expect(strict.chat.postMessage({ channel: 'C0X', text: 'x' })).rejects.toBeInstanceOf(webApi.WebAPIRateLimitedError);
    await expect(strict.chat.postMessage({ channel: 'C0X', text: 'x' })).resolves.toMatchObject({ ok: true });
    expect(slack.calls.filter((c) => c.failed === true).map((c) => c.method)).toEqual(['chat.postMessage', 'chat.update', 'chat.postMessage', 'chat.postMessage']);
    expect(await client.apiCall('reactions.add', { channel: 'C0X', name: 'eyes', timestamp: '1' })).toMatchObject({ ok: true });
  });

  it('records response_url posts and waits for calls', async () => {
    const url = slack.responseUrl('cmd-1');
    const waiting = slack.waitFor((c) => c.method === 'response_url' && c.args['__id'] === 'cmd-1');
    const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ response_type: 'ephemeral', text: 'hi' }) });
    expect(res.status).toBe(200);
    expect((await waiting).args).toEqual({ response_type: 'ephemeral', text: 'hi', __id: 'cmd-1' });
    await expect(slack.waitFor((c) => c.method === 'never.called', 50)).rejects.toThrow(/no matching call/);
  });
});

describe('signed requests to the real Bolt HTTPReceiver', () => {
  const secret = 'test-signing-secret';
  let slack: FakeSlack;
  let app: InstanceType<typeof App>;
  let url: string;
  const actions: unknown[] = [];

  beforeAll(async () => {
    slack = await startFakeSlack();
    app = new App({
      token: 'xoxb-test',
      botId: 'B0BOT',
      botUserId: 'U0BOT',
      signingSecret: secret,
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } },
    });
    app.command('/jwtcheck', async ({ command, ack, respond }) => {
      await ack({ response_type: 'ephemeral', text: `checking ${command.text}` });
      await respond({ response_type: 'ephemeral', text: 'done' });
    });
    app.event('message', async ({ event, say }) => {
      if (event.subtype === undefined && event.channel_type === 'im') await say({ text: 'hi', thread_ts: event.ts });
    });
    app.action('rerun', async ({ ack, body }) => {
      await ack();
      actions.push(body);
    });
    const server = (await app.start({ port: 0, host: '127.0.0.1' })) as { address(): AddressInfo | string | null };
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  });
  afterAll(async () => {
    await app.stop();
    await slack.close();
  });

  it('signs like Slack does', () => {
    expect(slackSignature('8f742231b10e8888abcd99yyyzzz85a5', 1531420618, 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J')).toMatch(/^v0=[0-9a-f]{64}$/);
  });

  it('a slash command is acked and respond() reaches the response_url', async () => {
    const sent = await sendSlashCommand(url, secret, { text: 'httpbin foo', response_url: slack.responseUrl('r1') });
    expect(sent.status).toBe(200);
    expect(sent.json).toMatchObject({ text: 'checking httpbin foo' });
    const responded = await slack.waitFor((c) => c.method === 'response_url' && c.args['__id'] === 'r1');
    expect(responded.args['text']).toBe('done');
  });

  it('rejects a tampered body, a wrong signature and a stale timestamp with 401', async () => {
    expect((await sendSlashCommand(url, secret, { text: 'x' }, { tamper: true })).status).toBe(401);
    expect((await sendSlashCommand(url, secret, { text: 'x' }, { signature: 'v0=00' })).status).toBe(401);
    expect((await sendSlashCommand(url, 'other-secret', { text: 'x' })).status).toBe(401);
    expect((await sendSlashCommand(url, secret, { text: 'x' }, { timestamp: Math.floor(Date.now() / 1000) - 600 })).status).toBe(401);
  });

  it('delivers events and interactions', async () => {
    const sent = await sendEvent(url, secret, { type: 'message', channel: 'D0DM', channel_type: 'im', user: 'U0ALICE', text: 'hello', ts: '1700000001.000001' });
    expect(sent.status).toBe(200);
    const said = await slack.waitFor((c) => c.method === 'chat.postMessage' && c.args['channel'] === 'D0DM');
    expect(said.args['thread_ts']).toBe('1700000001.000001');
    const interaction = await sendInteraction(url, secret, {
      type: 'block_actions',
      team: { id: 'T0TEAM' },
      user: { id: 'U0ALICE' },
      api_app_id: 'A0JWTCHECK',
      token: 't',
      trigger_id: '1.2',
      channel: { id: 'C0INCIDENT' },
      actions: [{ type: 'button', action_id: 'rerun', block_id: 'b', value: 'httpbin/foo', action_ts: '1' }],
    });
    expect(interaction.status).toBe(200);
    expect(actions).toHaveLength(1);
  });
});

// ---------------------------------------------------------------- Redis

describe('redis-server', () => {
  it('answers ioredis, stops, and restarts on the same port', async () => {
    const redis = await startRedis();
    const client = new Redis(redis.url, { maxRetriesPerRequest: null, retryStrategy: () => 20 });
    client.on('error', () => undefined); // expected while the server is down
    try {
      expect(await client.ping()).toBe('PONG');
      await client.set('k', 'v');
      if (process.env['REDIS_URL'] === undefined) {
        await redis.stop();
        // A raw connect, not a second ioredis client: a failed ioredis connect leaves a timer behind.
        const refused = await new Promise<string>((resolve) => {
          const socket = connect({ host: '127.0.0.1', port: redis.port });
          socket.on('connect', () => (socket.destroy(), resolve('connected')));
          socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
        });
        expect(refused).toBe('ECONNREFUSED');
        await redis.restart();
        // The same URL works again; the data is gone because persistence is off.
        expect(await client.ping()).toBe('PONG');
        expect(await client.get('k')).toBeNull();
      }
    } finally {
      client.disconnect();
      await redis.stop();
    }
  });
});
