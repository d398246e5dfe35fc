/**
 * Plans and runs every read of one diagnosis. Independent reads start at once; a read that depends on
 * another (pods need the Service's selector, logs need the pods, keys need the policies) starts the
 * moment its input is known. Each slot is a promise, so checks can run as soon as their inputs land
 * (live progress), and a failed read becomes a failed slot instead of an exception.
 */
import { isJwtcheckError } from '../errors.js';
import { formatSelector } from '../lib/label-selector.js';
import { summariseJwks } from '../lib/jwks-summary.js';
import { discoveryUrlFor } from '../lib/oidc-discovery.js';
import { summariseProxyLog } from '../logs/proxy-log.js';
import { scanIstiodLog } from '../logs/istiod-log.js';
import { decodeToken, noTokenEvidence, verifyToken } from '../token/index.js';
import type { ClusterSource } from './cluster-source.js';
import type { DocumentFetcher } from './document-fetcher.js';
import { ISTIOD_POD_SELECTOR, LEGACY_PILOT_POD_SELECTOR, istioInfoFromPods, workloadRevision } from './istio-info.js';
import { nearNames, toNamespaceInfo, toPodInfo, toServiceInfo } from './kube-objects.js';
import {
  missing,
  present,
  type DiscoveryInfo,
  type Evidence,
  type EvidenceSlotName,
  type IssuerEvidence,
  type IstiodLogEvidence,
  type JwtRule,
  type KeySetInfo,
  type PodInfo,
  type PolicySet,
  type ProxyLogEvidence,
  type Slot,
  type Target,
  type TokenEvidence,
} from './model.js';
import { normalisePolicies } from './policies.js';
import { prefetchLikelyKeys } from './prefetch-keys.js';

export const MAX_PODS_LISTED = 50;
export const MAX_PODS_LOGGED = 3;
export const PROXY_LOG_LIMIT_BYTES = 512 * 1024;
export const ISTIOD_LOG_LINES_FACTOR = 4;
export const ISTIOD_LOG_LIMIT_BYTES = 1024 * 1024;
const SECURITY_GROUP = 'security.istio.io';
const SECURITY_VERSIONS = ['v1', 'v1beta1'] as const;
const LEGACY_GROUP = 'authentication.istio.io';
const LEGACY_VERSIONS = ['v1alpha1'] as const;
const PROXY_CONTAINER = 'istio-proxy';
const ISTIOD_CONTAINER = 'discovery';

export interface CollectOptions {
  target: Target;
  source: ClusterSource;
  fetcher: DocumentFetcher;
  rawToken?: string;
  rootNamespace: string;
  logLines: number;
}

export type EvidencePromises = { [K in EvidenceSlotName]: Promise<Evidence[K]> } & {
  target: Target;
  /** Decoded at once: header, claims, problems. */
  tokenDecoded: TokenEvidence;
  /** The same, with the signature outcome per rule (after the key sets are known). */
  tokenVerified: Promise<TokenEvidence>;
};

/** Turns a read into a slot: resolved value, or the reason it failed in words. */
async function settle<T>(read: () => Promise<T>): Promise<Slot<T>> {
  try {
    return present(await read());
  } catch (err) {
    if (isJwtcheckError(err) && err.code !== 'usage' && err.code !== 'config') {
      return missing(err.code, err.message);
    }
    return missing('internal', `Unexpected failure: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Chains slots: when the input failed, the output fails with the same reason. */
async function then<A, B>(input: Promise<Slot<A>>, next: (value: A) => Promise<B> | B): Promise<Slot<B>> {
  const slot = await input;
  if (!slot.ok) return slot;
  return settle(async () => next(slot.value));
}

export function collectEvidence(options: CollectOptions): EvidencePromises {
  const { target, source, fetcher, rootNamespace } = options;
  const { namespace: ns } = target;
  const namespaces = rootNamespace === ns ? [ns] : [rootNamespace, ns];

  const tokenDecoded = options.rawToken === undefined ? noTokenEvidence() : decodeToken(options.rawToken);

  const service = settle(async () => {
    const obj = await source.readService(ns, target.service);
    if (obj) return { service: toServiceInfo(obj), nearNames: [] };
    const names = await source.listServiceNames(ns).catch(() => []);
    return { service: undefined, nearNames: nearNames(target.service, names) };
  });

  const namespace = settle(async () => toNamespaceInfo(ns, await source.readNamespace(ns)));

  const pods = then(service, async ({ service: svc }): Promise<PodInfo[]> => {
    if (!svc?.selector || Object.keys(svc.selector).length === 0) return [];
    const objs = await source.listPods(ns, formatSelector(svc.selector), MAX_PODS_LISTED);
    return objs.map(toPodInfo);
  });

  const istio = settle(async () => {
    const listing = (async () => {
      const found = await source.listPods(rootNamespace, ISTIOD_POD_SELECTOR, 5);
      // Istio ≤ 1.4 ran Pilot as its own deployment (istio-pilot), labelled istio=pilot.
      return found.length > 0 ? found : source.listPods(rootNamespace, LEGACY_PILOT_POD_SELECTOR, 5);
    })();
    // Canary upgrades run one istiod per revision: the workload's revision (its pods, else its namespace) picks
    // the one whose version counts and whose log is read. A failed pod/namespace read only loses the hint.
    const [istiodPods, podSlot, nsSlot] = await Promise.all([listing, pods, namespace]);
    const revision = workloadRevision(podSlot.ok ? podSlot.value : [], nsSlot.ok ? nsSlot.value : undefined);
    return { info: istioInfoFromPods(istiodPods, rootNamespace, revision), pods: istiodPods };
  });

  const listAll = (group: string, versions: readonly string[], plural: string) =>
    settle(async () => {
      const lists = await Promise.all(namespaces.map((n) => source.listCustomObjects(group, versions, plural, n)));
      if (lists.every((l) => l === undefined)) return undefined;
      return lists.flatMap((l) => l ?? []);
    });
  const requestAuthentications = listAll(SECURITY_GROUP, SECURITY_VERSIONS, 'requestauthentications');
  void Promise.all([service, requestAuthentications]).then(([svc, ras]) => {
    if (svc.ok && ras.ok) prefetchLikelyKeys(svc.value.service?.selector, ras.value ?? [], fetcher);
  }).catch(() => undefined);
  const authorizationPolicies = listAll(SECURITY_GROUP, SECURITY_VERSIONS, 'authorizationpolicies');
  const legacyPolicies = settle(() => source.listCustomObjects(LEGACY_GROUP, LEGACY_VERSIONS, 'policies', ns));
  // Both legacy kinds live in one API group: when Policy is not served, neither is MeshPolicy (saves a
  // request on every Istio ≥ 1.6 cluster; this read is off the critical path, so waiting costs nothing).
  const meshPolicies = legacyPolicies.then((legacy) =>
    legacy.ok && legacy.value === undefined
      ? present(undefined)
      : settle(() => source.listCustomObjects(LEGACY_GROUP, LEGACY_VERSIONS, 'meshpolicies')),
  );

  const policies = (async () => {
    const [svc, podSlot, nsSlot, istioSlot, ras, aps, legacy, mesh] = await Promise.all([
      service,
      pods,
      namespace,
      istio,
      requestAuthentications,
      authorizationPolicies,
      legacyPolicies,
      meshPolicies,
    ]);
    // Policies cannot be judged without knowing what they must apply to, nor without the lists themselves.
    if (!svc.ok) return svc;
    // Without the Service there is no workload to judge policies against; workload.service says why.
    if (!svc.value.service) {
      return missing<PolicySet>('unavailable', `Service ${ns}/${target.service} does not exist: see workload.service.`);
    }
    if (!nsSlot.ok) return nsSlot;
    if (!ras.ok) return ras;
    if (!aps.ok) return aps;
    return settle(async () =>
      normalisePolicies({
        target,
        service: svc.value.service,
        pods: podSlot.ok ? podSlot.value : [],
        namespace: nsSlot.value,
        rootNamespace,
        istioVersion: istioSlot.ok ? istioSlot.value.info.version : undefined,
        requestAuthentications: ras.value ?? [],
        authorizationPolicies: aps.value ?? [],
        // A refused legacy read is treated like an absent API: on Istio ≥ 1.6 it is dead config anyway.
        legacyPolicies: legacy.ok ? legacy.value : undefined,
        meshPolicies: mesh.ok ? mesh.value : undefined,
      }),
    );
  })();

  const issuers = then(policies, async (set) => {
    const applying = set.jwtRules.filter((r) => r.applies);
    const entries = await Promise.all(applying.map(async (r) => [r.key, await issuerEvidence(r, fetcher)] as const));
    return Object.fromEntries(entries);
  });

  const tokenVerified = (async (): Promise<TokenEvidence> => {
    if (options.rawToken === undefined || tokenDecoded.problem) return tokenDecoded;
    const issuerSlot = await issuers;
    if (!issuerSlot.ok) return tokenDecoded;
    const verification: TokenEvidence['verification'] = {};
    for (const [key, ev] of Object.entries(issuerSlot.value)) {
      if (ev.keySet?.ok) verification[key] = await verifyToken(options.rawToken, ev.keySet.value.jwks);
    }
    return { ...tokenDecoded, verification };
  })();

  const logsOff = missing<never>('unavailable', 'Log reading is off (--log-lines 0 / JWTCHECK_LOG_LINES=0).');
  const proxyLogs =
    options.logLines === 0
      ? Promise.resolve(present(logsOff))
      : then(pods, async (list) => readProxyLogs(source, ns, list, options.logLines));
  const istiodLogs =
    options.logLines === 0
      ? Promise.resolve(present(logsOff))
      : then(istio, async ({ info }) => readIstiodLog(source, rootNamespace, info.istiodPod, options.logLines));

  return {
    target,
    tokenDecoded,
    tokenVerified,
    service,
    namespace,
    pods,
    istio: then(istio, ({ info }) => info),
    policies,
    issuers,
    proxyLogs: proxyLogs.then(flattenUnavailable),
    istiodLogs: istiodLogs.then(flattenUnavailable),
  };
}

/** Log readers return a slot of their own when there is nothing to read; unwrap it. */
function flattenUnavailable<T>(slot: Slot<Slot<T>>): Slot<T> {
  return slot.ok ? slot.value : slot;
}

async function readProxyLogs(
  source: ClusterSource,
  namespace: string,
  pods: PodInfo[],
  logLines: number,
): Promise<Slot<ProxyLogEvidence>> {
  const withProxy = pods
    .filter((p) => p.containers.includes(PROXY_CONTAINER) || p.initContainers.includes(PROXY_CONTAINER))
    .sort((a, b) => Number(b.ready) - Number(a.ready))
    .slice(0, MAX_PODS_LOGGED);
  if (withProxy.length === 0) {
    return missing('unavailable', 'No pod of the service runs an istio-proxy container, so there is no proxy log to read.');
  }
  const reads = await Promise.all(
    withProxy.map(async (p) => ({
      pod: p.name,
      slot: await settle(() =>
        source.readPodLog(namespace, p.name, PROXY_CONTAINER, { tailLines: logLines, limitBytes: PROXY_LOG_LIMIT_BYTES }),
      ),
    })),
  );
  const read = reads.filter((r) => r.slot.ok);
  const podErrors = reads.flatMap((r) => (r.slot.ok ? [] : [{ pod: r.pod, error: r.slot.error }]));
  if (read.length === 0 && podErrors[0]) return { ok: false, error: podErrors[0].error };
  const text = read.map((r) => (r.slot.ok ? r.slot.value : '')).join('\n');
  const { access, jwtConfig } = summariseProxyLog(text);
  return present({ pods: read.map((r) => r.pod), podErrors, access, jwtConfig });
}

/** One read (request budget), of the pod istioInfoFromPods picked: same revision as the workload, Running, Ready. */
async function readIstiodLog(
  source: ClusterSource,
  rootNamespace: string,
  pod: string | undefined,
  logLines: number,
): Promise<Slot<IstiodLogEvidence>> {
  if (!pod) {
    return missing('unavailable', `No istiod pod found in ${rootNamespace} (managed control plane, or another root namespace: set ISTIO_ROOT_NAMESPACE).`);
  }
  const text = await source.readPodLog(rootNamespace, pod, ISTIOD_CONTAINER, {
    tailLines: logLines * ISTIOD_LOG_LINES_FACTOR,
    limitBytes: ISTIOD_LOG_LIMIT_BYTES,
  });
  return present({ pod, ...scanIstiodLog(text) });
}

/** Where istiod would get this rule's keys, fetched the same way (DESIGN §8: only URLs named by policies). */
async function issuerEvidence(rule: JwtRule, fetcher: DocumentFetcher): Promise<IssuerEvidence> {
  if (rule.jwks !== undefined) {
    return { ruleKey: rule.key, keySource: 'inline', keySet: parseKeySet(rule.jwks) };
  }
  if (rule.jwksUri) {
    return { ruleKey: rule.key, keySource: 'jwksUri', keySetUrl: rule.jwksUri, keySet: await fetchKeySet(rule.jwksUri, fetcher) };
  }
  if (!rule.issuer || !/^https?:\/\//i.test(rule.issuer)) {
    return { ruleKey: rule.key, keySource: 'none' };
  }
  const discovery = await fetchDiscovery(rule.issuer, fetcher);
  const jwksUri = discovery.ok && typeof discovery.value.document?.['jwks_uri'] === 'string' ? discovery.value.document['jwks_uri'] : undefined;
  if (!discovery.ok || discovery.value.status !== 200 || !jwksUri) {
    return { ruleKey: rule.key, discovery, keySource: 'none' };
  }
  return { ruleKey: rule.key, discovery, keySource: 'discovery', keySetUrl: jwksUri, keySet: await fetchKeySet(jwksUri, fetcher) };
}

async function fetchDiscovery(issuer: string, fetcher: DocumentFetcher): Promise<Slot<DiscoveryInfo>> {
  const url = discoveryUrlFor(issuer);
  return settle(async () => {
    const doc = await fetcher.fetch(url);
    const info: DiscoveryInfo = { url, status: doc.status, contentType: doc.contentType };
    if (doc.status !== 200) return info;
    const parsed = parseJsonObject(doc.body);
    if (parsed) return { ...info, document: parsed };
    const looksHtml = /^\s*</.test(doc.body) || /html/i.test(doc.contentType ?? '');
    return { ...info, problem: looksHtml ? 'the answer is an HTML page, not JSON (a login page or a proxy error?)' : 'the answer is not a JSON object' };
  });
}

async function fetchKeySet(url: string, fetcher: DocumentFetcher): Promise<Slot<KeySetInfo>> {
  const doc = await settle(() => fetcher.fetch(url));
  if (!doc.ok) return doc;
  if (doc.value.status !== 200) {
    return missing('http-status', `${url} answered HTTP ${doc.value.status} instead of a key set.`);
  }
  return parseKeySet(doc.value.body, url);
}

function parseKeySet(text: string, from?: string): Slot<KeySetInfo> {
  const summary = summariseJwks(text);
  if (summary.ok) return present(summary.value);
  return missing('invalid', `${from ? `The key set at ${from}` : 'The inline jwks'} is not usable: ${summary.message}.`);
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
