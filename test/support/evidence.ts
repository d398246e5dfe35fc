/**
 * Evidence builders for check unit tests. `healthyEvidence()` is a workload where everything is right:
 * httpbin in foo, one sidecar pod, a RequestAuthentication for https://issuer.example with a jwksUri,
 * an ALLOW AuthorizationPolicy requiring a request principal, a valid token, clean logs.
 * Tests copy it and break one thing.
 */
import type {
  AuthorizationPolicyInfo,
  Evidence,
  IssuerEvidence,
  JwtRule,
  PodInfo,
  PolicySet,
  RequestAuthenticationInfo,
  Slot,
} from '../../src/model/index.js';
import type { CheckContext } from '../../src/engine/check.js';

export const NOW = new Date('2026-11-29T10:00:00.000Z');
export const NOW_S = Math.floor(NOW.getTime() / 1000);
export const ISSUER = 'https://issuer.example';
export const JWKS_URI = 'https://issuer.example/.well-known/jwks.json';

export const ok = <T>(value: T): Slot<T> => ({ ok: true, value });

export function context(): CheckContext {
  return { now: NOW, clockSkewSeconds: 60, target: { service: 'httpbin', namespace: 'foo', cluster: 'test' } };
}

export function pod(overrides: Partial<PodInfo> = {}): PodInfo {
  return {
    name: 'httpbin-7d9c5b8f4-abcde',
    namespace: 'foo',
    labels: { app: 'httpbin', version: 'v1' },
    annotations: { 'sidecar.istio.io/status': '{"initContainers":["istio-init"],"containers":["istio-proxy"]}' },
    phase: 'Running',
    ready: true,
    containers: ['httpbin', 'istio-proxy'],
    initContainers: ['istio-init'],
    restarts: 0,
    ...overrides,
  };
}

export function rule(overrides: Partial<JwtRule> = {}): JwtRule {
  return {
    key: 'RequestAuthentication/foo/jwt-example#0',
    source: { kind: 'RequestAuthentication', apiVersion: 'security.istio.io/v1', namespace: 'foo', name: 'jwt-example' },
    index: 0,
    api: 'modern',
    issuer: ISSUER,
    jwksUri: JWKS_URI,
    audiences: [],
    locations: [],
    forwardOriginalToken: false,
    applies: true,
    reason: 'selector app=httpbin matches the pods',
    ...overrides,
  };
}

export function requestAuthentication(overrides: Partial<RequestAuthenticationInfo> = {}): RequestAuthenticationInfo {
  return {
    source: { kind: 'RequestAuthentication', apiVersion: 'security.istio.io/v1', namespace: 'foo', name: 'jwt-example' },
    selector: { app: 'httpbin' },
    targetRefs: [],
    ruleKeys: ['RequestAuthentication/foo/jwt-example#0'],
    applies: true,
    reason: 'selector app=httpbin matches the pods',
    ...overrides,
  };
}

export function authorizationPolicy(overrides: Partial<AuthorizationPolicyInfo> = {}): AuthorizationPolicyInfo {
  return {
    source: { kind: 'AuthorizationPolicy', apiVersion: 'security.istio.io/v1', namespace: 'foo', name: 'require-jwt' },
    action: 'ALLOW',
    selector: { app: 'httpbin' },
    targetRefs: [],
    rules: [{ from: [{ source: { requestPrincipals: [`${ISSUER}/*`] } }] }],
    applies: true,
    reason: 'selector app=httpbin matches the pods',
    ...overrides,
  };
}

export function policySet(overrides: Partial<PolicySet> = {}): PolicySet {
  return {
    jwtRules: [rule()],
    requestAuthentications: [requestAuthentication()],
    authorizationPolicies: [authorizationPolicy()],
    legacy: { installed: false, policies: [] },
    ...overrides,
  };
}

/** A JWKS with one RS256 key, kid "key-1" (the modulus is a placeholder: checks only read summaries). */
export function issuerEvidence(overrides: Partial<IssuerEvidence> = {}): IssuerEvidence {
  return {
    ruleKey: 'RequestAuthentication/foo/jwt-example#0',
    keySource: 'jwksUri',
    keySetUrl: JWKS_URI,
    keySet: ok({
      keys: [{ kid: 'key-1', kty: 'RSA', alg: 'RS256', use: 'sig', usable: true }],
      jwks: { keys: [{ kid: 'key-1', kty: 'RSA', alg: 'RS256', use: 'sig', n: 'AQAB', e: 'AQAB' }] },
    }),
    ...overrides,
  };
}

export function healthyEvidence(): Evidence {
  return {
    target: { service: 'httpbin', namespace: 'foo', cluster: 'test' },
    token: {
      provided: true,
      header: { alg: 'RS256', kid: 'key-1', typ: 'JWT' },
      claims: {
        iss: ISSUER,
        sub: 'user-1',
        aud: 'httpbin',
        iat: NOW_S - 60,
        exp: NOW_S + 3600,
      },
      fingerprint: 'a1b2c3d4e5f6',
      warnings: [],
      verification: {
        'RequestAuthentication/foo/jwt-example#0': { outcome: 'verified', message: 'signature verified with key key-1', kid: 'key-1' },
      },
    },
    service: ok({
      service: {
        name: 'httpbin',
        namespace: 'foo',
        labels: { app: 'httpbin' },
        selector: { app: 'httpbin' },
        type: 'ClusterIP',
        ports: [{ name: 'http', port: 8000, targetPort: 80, protocol: 'TCP' }],
      },
      nearNames: [],
    }),
    namespace: ok({ name: 'foo', exists: true, labels: { 'istio-injection': 'enabled' } }),
    pods: ok([pod()]),
    istio: ok({
      tag: '1.22.3',
      version: { major: 1, minor: 22, patch: 3 },
      rootNamespace: 'istio-system',
      istiodPods: ['istiod-5d4f9c7b8-xk2lp'],
      env: {},
    }),
    policies: ok(policySet()),
    issuers: ok({ 'RequestAuthentication/foo/jwt-example#0': issuerEvidence() }),
    proxyLogs: ok({
      pods: ['httpbin-7d9c5b8f4-abcde'],
      podErrors: [],
      access: { lines: 3, accessLines: 3, byCode: { '200': 3 }, denials: [] },
      jwtConfig: { loadedConfigs: [], listenerRejections: [], remoteFetchFailures: [], placeholderKeys: [] },
    }),
    istiodLogs: ok({ pod: 'istiod-5d4f9c7b8-xk2lp', lines: 120, fetchFailures: [], ackErrors: [], keyUpdates: [] }),
  };
}
