/**
 * The evidence model: everything the checks may look at, gathered once per diagnosis.
 * Readers (src/evidence/*) are the only code that fills it; checks (src/checks/*) only read it.
 * Every slot that comes from the outside world is a `Slot`, so a failed read (forbidden, timeout)
 * becomes an `error` result for the checks that need it instead of a crash.
 */
import type { IstioInfo, NamespaceInfo, PodInfo, ServiceLookup } from './kube.js';
import type { PolicySet } from './policy.js';
import type { IssuerEvidence } from './issuer.js';
import type { TokenEvidence } from './token.js';
import type { IstiodLogEvidence, ProxyLogEvidence } from './logs.js';
import type { Slot } from './slot.js';

export interface Target {
  service: string;
  namespace: string;
  /** A label for the cluster: the kube context, `--cluster`, or "default". */
  cluster: string;
}

// ---------------------------------------------------------------- the whole

/**
 * The slots, in the order a diagnosis reads them. Every other list of slots (the engine's, the
 * collector's, a check's `needs`) derives from this one.
 */
export const EVIDENCE_SLOTS = [
  'service',
  'namespace',
  'pods',
  'istio',
  'policies',
  'issuers',
  'proxyLogs',
  'istiodLogs',
] as const;

export type EvidenceSlotName = (typeof EVIDENCE_SLOTS)[number];

/** What each slot holds when its read succeeded. */
export interface EvidenceSlotValues {
  service: ServiceLookup;
  namespace: NamespaceInfo;
  pods: PodInfo[];
  istio: IstioInfo;
  policies: PolicySet;
  /** Per JwtRule key, for rules that apply. */
  issuers: Record<string, IssuerEvidence>;
  proxyLogs: ProxyLogEvidence;
  istiodLogs: IstiodLogEvidence;
}

export type Evidence = { target: Target; token: TokenEvidence } & {
  [K in EvidenceSlotName]: Slot<EvidenceSlotValues[K]>;
};
