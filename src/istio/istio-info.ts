/**
 * Which Istio runs the mesh, read from the istiod pod: the `discovery` container's image tag is the
 * version (DESIGN §3: "read it from the istiod pod's image tag"), and a few environment variables change
 * how istiod resolves JWT keys (ISTIO-JWT §3.1, §3.3, §0 rows 1.10/1.19/1.30).
 */
import { asArray, asLabels, asRecord, asString } from './kube-objects.js';
import type { IstioInfo, IstioVersion, KubeObject, Labels, NamespaceInfo, PodInfo } from '../model/index.js';

/** istiod (1.5+) pods: chart label `app: istiod` (istio/istio: manifests/charts/istio-control/istio-discovery). */
export const ISTIOD_POD_SELECTOR = 'app=istiod';
/** Istio ≤ 1.4 ran Pilot as `istio-pilot` pods labelled `app: pilot, istio: pilot`, container still `discovery`. */
export const LEGACY_PILOT_POD_SELECTOR = 'istio=pilot';
/** The container that runs `pilot-discovery` in both layouts. */
export const DISCOVERY_CONTAINER = 'discovery';

/** istiod settings that change JWT behaviour; their values are copied verbatim into `IstioInfo.env`. */
export const JWT_RELATED_ENV = [
  'PILOT_JWT_ENABLE_REMOTE_JWKS', // istiod | hybrid | envoy (true/false before 1.18) — ISTIO-JWT §3.3
  'PILOT_JWT_PUB_KEY_REFRESH_INTERVAL', // default 20m — ISTIO-JWT §3.1
  'JWKS_RESOLVER_INSECURE_SKIP_VERIFY', // 1.19+ — ISTIO-JWT §3.1
  'BLOCKED_CIDRS_IN_JWKS_URIS', // 1.30+ — ISTIO-JWT §0, IST0175
] as const;

/**
 * Pod labels some installers put on istiod, read only when the image tag says nothing (a digest,
 * `latest`): the operator's `operator.istio.io/version` (seen on 1.5–1.23 operator installs) and the
 * Helm-standard `app.kubernetes.io/version`.
 */
const VERSION_LABELS = ['operator.istio.io/version', 'app.kubernetes.io/version'] as const;

/**
 * '1.22.3', 'v1.22.3', '1.20.1-distroless', '1.29.1-debug', '1.20.1-asm.1', '1.0.6', '1.22-dev',
 * 'release-1.18-20230601…' (dev build of a release branch, patch taken as 0). `latest`, `master-…`
 * and digests have no version: undefined.
 */
export function parseIstioVersion(tag: string): IstioVersion | undefined {
  const match = /^(?:v|release-)?(\d{1,3})\.(\d{1,3})(?:\.(\d{1,4}))?(?=$|[-_.+])/.exec(tag.trim());
  if (!match) return undefined;
  const [, major = '', minor = '', patch] = match;
  return { major: Number(major), minor: Number(minor), patch: patch === undefined ? 0 : Number(patch) };
}

export function isAtLeast(v: IstioVersion, major: number, minor: number): boolean {
  return v.major > major || (v.major === major && v.minor >= minor);
}

export function formatIstioVersion(v: IstioVersion): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}

/**
 * The tag of an image reference: `docker.io/istio/pilot:1.22.3` → 1.22.3,
 * `registry:5000/istio/pilot:1.22.3@sha256:…` → 1.22.3, `…/pilot@sha256:…` → undefined.
 * The registry port is not a tag, so only the last path segment is looked at.
 */
export function imageTag(image: string): string | undefined {
  const withoutDigest = image.split('@')[0] ?? '';
  const lastSegment = withoutDigest.slice(withoutDigest.lastIndexOf('/') + 1);
  const colon = lastSegment.indexOf(':');
  if (colon < 0) return undefined;
  const tag = lastSegment.slice(colon + 1);
  return tag === '' ? undefined : tag;
}

export const REVISION_LABEL = 'istio.io/rev';
export const DEFAULT_REVISION = 'default';
const SIDECAR_STATUS_ANNOTATION = 'sidecar.istio.io/status';

/**
 * The control-plane revision a workload is attached to: pod label `istio.io/rev` (also accepted as an
 * annotation), the `revision` field of the injector's `sidecar.istio.io/status` annotation, the namespace label
 * `istio.io/rev`, else "default". The first pod that says something wins.
 */
export function workloadRevision(pods: PodInfo[], namespace?: NamespaceInfo): string {
  for (const pod of pods) {
    const fromLabel = pod.labels[REVISION_LABEL] ?? pod.annotations[REVISION_LABEL];
    if (fromLabel) return fromLabel;
    const fromStatus = statusRevision(pod.annotations[SIDECAR_STATUS_ANNOTATION]);
    if (fromStatus) return fromStatus;
  }
  return namespace?.labels[REVISION_LABEL] || DEFAULT_REVISION;
}

function statusRevision(annotation: string | undefined): string | undefined {
  if (!annotation) return undefined;
  try {
    const revision = asString(asRecord(JSON.parse(annotation) as unknown)?.['revision']);
    return revision === '' ? undefined : revision;
  } catch {
    return undefined;
  }
}

/** An istiod pod's revision: its `istio.io/rev` label; a pod without one is the default revision. */
export function istiodRevision(pod: KubeObject): string {
  return asLabels(asRecord(pod.metadata)?.['labels'])[REVISION_LABEL] || DEFAULT_REVISION;
}

/**
 * The istiod pod that serves the revision (canary upgrades run `istiod-1-20-…` next to `istiod-1-22-…`): same
 * revision first, then Running, then Ready; document order breaks ties. Pods without a discovery container last.
 * With no revision given, only Running/Ready count (the running one is the one serving config).
 */
export function pickIstiodPod(istiodPods: KubeObject[], revision?: string): KubeObject | undefined {
  const score = (pod: KubeObject): number =>
    (discoveryContainer(pod) ? 8 : 0) +
    (revision !== undefined && istiodRevision(pod) === revision ? 4 : 0) +
    (isRunning(pod) ? 2 : 0) +
    (isReady(pod) ? 1 : 0);
  let best: KubeObject | undefined;
  for (const pod of istiodPods) if (best === undefined || score(pod) > score(best)) best = pod;
  return best;
}

export function istioInfoFromPods(istiodPods: KubeObject[], rootNamespace: string, revision?: string): IstioInfo {
  const info: IstioInfo = {
    rootNamespace,
    istiodPods: istiodPods.flatMap((p) => {
      const name = asString(asRecord(p.metadata)?.['name']);
      return name === undefined ? [] : [name];
    }),
    env: {},
  };
  if (revision !== undefined) info.revision = revision;
  const pod = pickIstiodPod(istiodPods, revision);
  const discovery = pod ? discoveryContainer(pod) : undefined;
  if (!pod || !discovery) return info;
  const name = asString(asRecord(pod.metadata)?.['name']);
  if (name !== undefined) info.istiodPod = name;
  const image = asString(discovery['image']);
  const tag = image === undefined ? undefined : imageTag(image);
  if (tag !== undefined) info.tag = tag;
  const version = (tag === undefined ? undefined : parseIstioVersion(tag)) ?? versionFromLabels(pod);
  if (version) info.version = version;
  info.env = jwtEnv(discovery['env']);
  return info;
}

function isRunning(pod: KubeObject): boolean {
  return asRecord(pod.status)?.['phase'] === 'Running';
}

function isReady(pod: KubeObject): boolean {
  return (asArray(asRecord(pod.status)?.['conditions']) ?? []).some((c) => {
    const cond = asRecord(c);
    return cond?.['type'] === 'Ready' && cond['status'] === 'True';
  });
}

function discoveryContainer(pod: KubeObject): Record<string, unknown> | undefined {
  return (asArray(asRecord(pod.spec)?.['containers']) ?? [])
    .map(asRecord)
    .find((c) => c?.['name'] === DISCOVERY_CONTAINER);
}

function versionFromLabels(pod: KubeObject): IstioVersion | undefined {
  const labels = asLabels(asRecord(pod.metadata)?.['labels']);
  for (const key of VERSION_LABELS) {
    const value = labels[key];
    const version = value === undefined ? undefined : parseIstioVersion(value);
    if (version) return version;
  }
  return undefined;
}

/** Only literal `value`s: a `valueFrom` reference cannot be resolved from the pod alone. */
function jwtEnv(value: unknown): Labels {
  const env: Labels = {};
  for (const entry of asArray(value) ?? []) {
    const record = asRecord(entry);
    const name = asString(record?.['name']);
    const v = asString(record?.['value']);
    if (name !== undefined && v !== undefined && (JWT_RELATED_ENV as readonly string[]).includes(name)) env[name] = v;
  }
  return env;
}
