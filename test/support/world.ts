/**
 * The test world: httpbin in foo, as the grid's scenario test/cases/healthy/ holds it (cluster.yaml, proxy.log,
 * istiod.log, token.yaml), with named tweaks for what a test varies. The CLI, hardening, e2e and bench fixtures
 * stand on it, so they all describe the same cluster and a change to it is made once, in the scenario's files.
 */
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { KubeObject } from '../../src/model/index.js';
import { fillPlaceholders, hasContainer, parseObjects, readCase } from '../cases/load-case.js';
import type { RawCase, TokenSpec } from '../cases/load-case.js';
import type { KubeFixture } from './kube-api-server.js';

const CASES_ROOT = fileURLToPath(new URL('../cases/', import.meta.url));

/** The identity provider the RequestAuthentication names; without jwksUri its keys are found through discovery. */
export interface WorldIssuer {
  issuer: string;
  jwksUri?: string;
}

export interface WorldTweaks {
  /** The rule's audiences; null = none (any aud is accepted). Default: healthy's `httpbin.foo.svc.cluster.local`. */
  audiences?: string[] | null;
  /** More jwtRules after the first, as a test writes them. */
  extraRules?: Record<string, unknown>[];
  /** metadata.name of the RequestAuthentication (healthy: httpbin-jwt). */
  requestAuthenticationName?: string;
  /** false = no AuthorizationPolicy (healthy has require-jwt: ALLOW with a principal of the issuer). */
  authorizationPolicy?: boolean;
  /** The tag of the istio-proxy, istio-init and istiod images (healthy: 1.22.3). */
  istioVersion?: string;
  /** The istio-proxy log of the httpbin pod; null = no log. Default: healthy's proxy.log. */
  proxyLog?: string | null;
  /** istiod's discovery log; null = no log. Default: healthy's istiod.log. */
  istiodLog?: string | null;
  /** Pod names (healthy: httpbin-7d9c5b8f4-abcde and istiod-6b8f9c7d4-x7k2p). */
  proxyPod?: string;
  istiodPod?: string;
}

let healthy: RawCase | undefined;
const healthyCase = (): RawCase => (healthy ??= readCase('healthy', CASES_ROOT));

const isKind = (kind: string) => (o: KubeObject): boolean => o.kind === kind;

function rename(o: KubeObject | undefined, name: string | undefined): void {
  if (o && name !== undefined) o.metadata = { ...o.metadata, name };
}

function retag(pod: KubeObject, version: string): void {
  const spec = pod.spec as { containers?: { image?: string }[]; initContainers?: { image?: string }[] };
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    if (c.image && /\/istio\/(proxyv2|pilot):/.test(c.image)) c.image = c.image.replace(/:[^:/]+$/, `:${version}`);
  }
}

function tweakRule(ra: KubeObject, idp: WorldIssuer, tweaks: WorldTweaks): void {
  const spec = ra.spec as { jwtRules: Record<string, unknown>[] };
  const rule = spec.jwtRules[0] as Record<string, unknown>;
  if (idp.jwksUri === undefined) delete rule['jwksUri'];
  if (tweaks.audiences === null) delete rule['audiences'];
  else if (tweaks.audiences) rule['audiences'] = tweaks.audiences;
  spec.jwtRules.push(...(tweaks.extraRules ?? []));
}

const podKey = (pod: KubeObject, container: string): string => `${String(pod.metadata?.namespace)}/${String(pod.metadata?.name)}/${container}`;

/** The healthy scenario's cluster for this issuer, with the tweaks applied, for test/support/kube-api-server.ts. */
export function world(idp: WorldIssuer, tweaks: WorldTweaks = {}): KubeFixture {
  const raw = healthyCase();
  const values = { ISSUER: idp.issuer, JWKS_URI: idp.jwksUri ?? '' };
  const objects = parseObjects(fillPlaceholders(raw.clusterYaml, values), 'healthy/cluster.yaml');
  const proxyPod = objects.find((o) => isKind('Pod')(o) && hasContainer(o, 'istio-proxy')) as KubeObject;
  const istiodPod = objects.find((o) => isKind('Pod')(o) && hasContainer(o, 'discovery')) as KubeObject;
  const ra = objects.find(isKind('RequestAuthentication')) as KubeObject;
  tweakRule(ra, idp, tweaks);
  rename(ra, tweaks.requestAuthenticationName);
  rename(proxyPod, tweaks.proxyPod);
  rename(istiodPod, tweaks.istiodPod);
  const version = tweaks.istioVersion;
  if (version) for (const pod of [proxyPod, istiodPod]) retag(pod, version);
  const kept = tweaks.authorizationPolicy === false ? objects.filter((o) => !isKind('AuthorizationPolicy')(o)) : objects;

  const logs: Record<string, string> = {};
  const proxyLog = tweaks.proxyLog === undefined ? raw.proxyLogs.get('') : tweaks.proxyLog;
  const istiodLog = tweaks.istiodLog === undefined ? raw.istiodLog : tweaks.istiodLog;
  if (proxyLog != null) logs[podKey(proxyPod, 'istio-proxy')] = fillPlaceholders(proxyLog, values);
  if (istiodLog != null) logs[podKey(istiodPod, 'discovery')] = fillPlaceholders(istiodLog, values);
  return { objects: kept, logs };
}

/** The claims of the healthy scenario's token (token.yaml): a token the world's policies accept. */
export function worldTokenClaims(): Record<string, unknown> {
  return { ...((parse(healthyCase().tokenYaml ?? '') as TokenSpec | null)?.claims ?? {}) };
}
