// Verifies that the pods behind the Service run an istio-proxy (sidecar or native sidecar), or that the namespace
// is ambient and the Service uses a waypoint. Without a proxy nothing enforces JWT; ztunnel cannot read HTTP,
// so ambient needs a waypoint (ISTIO-JWT §2.3 Ambient, §7.14; istioctl analyze IST0102/IST0103).
import { defineCheck } from '../engine/check.js';
import type { Labels, PodInfo } from '../model/index.js';
import { gatewayProxy } from '../istio/workload-mode.js';
import { matchesSelector } from '../lib/label-selector.js';
import { listSome, plural } from './lib/policy.js';

const PROXY = 'istio-proxy';
const DATAPLANE_MODE = 'istio.io/dataplane-mode';
const USE_WAYPOINT = 'istio.io/use-waypoint';
const INJECT = 'sidecar.istio.io/inject';

const hasProxy = (p: PodInfo): boolean => p.containers.includes(PROXY) || p.initContainers.includes(PROXY);

/** The owning Deployment, guessed from the ReplicaSet-generated pod name (<deploy>-<rs hash>-<pod hash>). */
export function deploymentOf(p: PodInfo): string | undefined {
  return /^(.+)-[a-z0-9]{6,10}-[a-z0-9]{5}$/.exec(p.name)?.[1];
}

function restartCommand(pods: PodInfo[], ns: string): string {
  const deploys = [...new Set(pods.map(deploymentOf).filter((d): d is string => d !== undefined))];
  return deploys.length > 0
    ? deploys.map((d) => `kubectl rollout restart deploy/${d} -n ${ns}`).join('; ')
    : `kubectl rollout restart deploy -n ${ns} (or delete the pods so their controller recreates them)`;
}

function optedOut(p: PodInfo): boolean {
  return p.annotations[INJECT] === 'false' || p.labels[INJECT] === 'false';
}

function injectionEnabledOn(nsLabels: Labels): boolean {
  return nsLabels['istio-injection'] === 'enabled' || nsLabels['istio.io/rev'] !== undefined;
}

function waypointOf(labels: Labels | undefined): string | undefined {
  const w = labels?.[USE_WAYPOINT];
  return w && w !== 'none' ? w : undefined;
}

export default defineCheck({
  id: 'workload.sidecar',
  title: 'Pods run an Istio proxy (sidecar, or ambient with a waypoint)',
  docs: 'https://istio.io/latest/docs/setup/additional-setup/sidecar-injection/',
  needs: ['namespace', 'pods', 'service'],
  run(evidence, ctx) {
    const ns = ctx.target.namespace;
    const svc = evidence.service.ok ? evidence.service.value.service : undefined;
    if (!svc) return { status: 'skip', detail: `Service ${ctx.target.service} not found: see workload.service.` };
    const nsLabels = evidence.namespace.ok ? evidence.namespace.value.labels : {};
    const selector = svc.selector;
    const all = evidence.pods.ok ? evidence.pods.value : [];
    const matched = selector && Object.keys(selector).length > 0 ? all.filter((p) => matchesSelector(selector, p.labels)) : [];
    if (matched.length === 0) return { status: 'skip', detail: 'No pod behind the Service: see workload.pods.' };
    const ready = matched.filter((p) => p.phase === 'Running' && p.ready);
    const pods = ready.length > 0 ? ready : matched;

    const withProxy = pods.filter(hasProxy);
    const without = pods.filter((p) => !hasProxy(p));
    const native = withProxy.filter((p) => !p.containers.includes(PROXY));
    if (without.length === 0) {
      const gateways = pods.map(gatewayProxy);
      if (gateways.every((g) => g !== undefined)) {
        // A gateway is its own Envoy (istio-proxy running `proxy router`), not an app with a sidecar: it enforces
        // RequestAuthentication/AuthorizationPolicy itself (Gateway API ones via targetRefs, ISTIO-JWT §2.1).
        const api = gateways.find((g) => g?.kind === 'gateway-api');
        const what = api ? `Gateway API gateway ${api.gateway ?? ''} (bind policies with targetRefs)` : 'classic Istio gateway (bind policies with selector)';
        return { status: 'pass', detail: `All ${plural(pods.length, 'pod')} run ${PROXY} as a ${what}: ${listSome(pods.map((p) => p.name), 3)}.` };
      }
      const nativeNote = native.length > 0 ? ` (native sidecar: ${listSome(native.map((p) => p.name), 2)})` : '';
      return { status: 'pass', detail: `All ${plural(pods.length, 'pod')} run ${PROXY}${nativeNote}: ${listSome(pods.map((p) => p.name), 3)}.` };
    }

    const optOut = without.filter(optedOut);
    const why = (list: PodInfo[]): string =>
      optOut.length > 0
        ? ` — injection is disabled on ${listSome(optOut.map((p) => p.name), 2)} (${INJECT}: "false")`
        : !injectionEnabledOn(nsLabels)
          ? ` — namespace ${ns} has neither istio-injection=enabled nor istio.io/rev`
          : ` — ${list.length === 1 ? 'the pod predates' : 'the pods predate'} injection (namespace ${ns} is labelled for it)`;
    const fixFor = (list: PodInfo[]): string =>
      optOut.length > 0
        ? `Remove ${INJECT}: "false" from the Deployment's spec.template (annotations and labels), then ${restartCommand(list, ns)}`
        : !injectionEnabledOn(nsLabels)
          ? `kubectl label namespace ${ns} istio-injection=enabled (or istio.io/rev=<revision>), then ${restartCommand(list, ns)}`
          : restartCommand(list, ns);

    if (withProxy.length > 0) {
      return {
        status: 'warn',
        detail: `${without.length} of ${plural(pods.length, 'pod')} have no ${PROXY}: ${listSome(without.map((p) => p.name), 3)}${why(without)}; requests load-balanced to them bypass every JWT rule.`,
        fix: fixFor(without),
      };
    }

    // No pod has a sidecar: fine only in ambient mode with a waypoint in front of the Service.
    const ambient =
      nsLabels[DATAPLANE_MODE] === 'ambient' || pods.every((p) => p.labels[DATAPLANE_MODE] === 'ambient');
    const podOptOutOfAmbient = pods.filter((p) => p.labels[DATAPLANE_MODE] === 'none');
    if (ambient && podOptOutOfAmbient.length < pods.length) {
      const waypoint = waypointOf(svc.labels) ?? waypointOf(nsLabels);
      if (waypoint) {
        const where = waypointOf(svc.labels) ? `Service ${svc.name}` : `namespace ${ns}`;
        return {
          status: 'pass',
          detail: `Ambient mode: ${where} uses waypoint ${waypoint}, which enforces JWT rules (they must target it with targetRefs, not selector).`,
        };
      }
      return {
        status: 'fail',
        detail: `Namespace ${ns} is ambient (${DATAPLANE_MODE}=ambient) and no waypoint serves Service ${svc.name}: ztunnel cannot enforce RequestAuthentication or requestPrincipals.`,
        fix: `Deploy a waypoint: istioctl waypoint apply -n ${ns} --enroll-namespace (or label only this Service: kubectl label svc ${svc.name} -n ${ns} ${USE_WAYPOINT}=waypoint), then bind policies with targetRefs to the Service.`,
      };
    }
    return {
      status: 'fail',
      detail: `No pod runs ${PROXY} (${listSome(pods.map((p) => p.name), 3)})${why(pods)}: nothing enforces JWT for ${svc.name}.`,
      fix: fixFor(pods),
    };
  },
});
