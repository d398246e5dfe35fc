/**
 * Plans and runs every read of one diagnosis. Independent reads start at once; a read that depends on
 * another (pods need the Service's selector, logs need the pods, keys need the policies) starts the
 * moment its input is known. Each slot is a promise, so checks can run as soon as their inputs land
 * (live progress), and a failed read becomes a failed slot instead of an exception. The Kubernetes object
 * reads are planned here; logs (read-logs.ts) and issuer documents (read-issuers.ts) have readers of their own.
 */
import { formatSelector } from '../lib/label-selector.js';
import { decodeToken, noTokenEvidence, verifyToken } from '../token/index.js';
import type { ClusterSource } from '../model/cluster-source.js';
import type { DocumentFetcher } from '../model/document-fetcher.js';
import { ISTIOD_POD_SELECTOR, LEGACY_PILOT_POD_SELECTOR, istioInfoFromPods, workloadRevision } from '../istio/istio-info.js';
import { nearNames, toNamespaceInfo, toPodInfo, toServiceInfo } from '../istio/kube-objects.js';
import {
  missing,
  present,
  type Evidence,
  type EvidenceSlotName,
  type PodInfo,
  type PolicySet,
  type Target,
  type TokenEvidence,
} from '../model/index.js';
import { normalisePolicies } from '../istio/policies.js';
import { prefetchLikelyKeys } from './prefetch-keys.js';
import { flattenUnavailable, settle, then } from './slots.js';
import { readIstiodLog, readProxyLogs } from './read-logs.js';
import { issuerEvidence } from './read-issuers.js';

export const MAX_PODS_LISTED = 50;
const SECURITY_GROUP = 'security.istio.io';
const SECURITY_VERSIONS = ['v1', 'v1beta1'] as const;
const LEGACY_GROUP = 'authentication.istio.io';
const LEGACY_VERSIONS = ['v1alpha1'] as const;

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

