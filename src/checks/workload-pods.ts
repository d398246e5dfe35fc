// Verifies that the Service's selector matches at least one Running, ready pod.
// Istio applies RequestAuthentication to the pods' sidecars, chosen by pod labels: a selector that matches no
// pod, or pods that crash-loop, means no proxy ever sees the request (DESIGN §3; ISTIO-JWT §8 step 1).
import { defineCheck } from '../engine/check.js';
import { FROM_TEMPLATE_ANNOTATION } from '../model/index.js';
import type { PodInfo } from '../model/index.js';
import { formatSelector, matchesSelector } from '../lib/label-selector.js';
import { listSome, plural } from './lib/policy.js';

function podState(p: PodInfo): string {
  const why = p.waitingReason ?? (p.phase !== 'Running' ? p.phase : 'not ready');
  return p.restarts > 0 ? `${p.name} ${why} (${plural(p.restarts, 'restart')})` : `${p.name} ${why}`;
}

export default defineCheck({
  id: 'workload.pods',
  title: 'Service selector matches running, ready pods',
  docs: 'https://istio.io/latest/docs/ops/deployment/application-requirements/',
  needs: ['service', 'pods'],
  run(evidence, ctx) {
    const ns = ctx.target.namespace;
    const svc = evidence.service.ok ? evidence.service.value.service : undefined;
    if (!svc) return { status: 'skip', detail: `Service ${ctx.target.service} not found: see workload.service.` };
    const selector = svc.selector;
    if (!selector || Object.keys(selector).length === 0) {
      return {
        status: 'warn',
        detail: `Service ${ns}/${svc.name} has no selector (${svc.type === 'ExternalName' ? 'ExternalName' : 'endpoints managed by hand'}): jwtcheck cannot tell which pods serve it, and Istio applies JWT rules per pod.`,
        fix: `Diagnose the workload behind it instead, or add spec.selector to the Service; see its endpoints with kubectl get endpointslices -n ${ns} -l kubernetes.io/service-name=${svc.name}`,
      };
    }
    const sel = formatSelector(selector);
    const all = evidence.pods.ok ? evidence.pods.value : [];
    const pods = all.filter((p) => matchesSelector(selector, p.labels));
    if (pods.length === 0) {
      const others = all.length > 0 ? ` (${plural(all.length, 'pod')} seen with other labels: ${listSome(all.map((p) => `${p.name} ${formatSelector(p.labels)}`), 2)})` : '';
      return {
        status: 'fail',
        detail: `Service ${ns}/${svc.name}: selector ${sel} matches no pod in ${ns}${others}.`,
        fix: `Compare the labels: kubectl get pods -n ${ns} --show-labels; then make the Deployment's spec.template.metadata.labels include ${sel} (or fix the Service's spec.selector).`,
      };
    }
    const templated = pods.filter((p) => p.annotations[FROM_TEMPLATE_ANNOTATION] !== undefined);
    if (templated.length === pods.length) {
      // The annotation names the workload ("StatefulSet/db"), so the sentence must not assume a Deployment.
      const names = listSome(templated.map((p) => p.annotations[FROM_TEMPLATE_ANNOTATION] || p.name));
      return {
        status: 'pass',
        detail: `Selector ${sel} matches the pod template of ${names} (offline snapshot): running state not known.`,
      };
    }
    const ready = pods.filter((p) => p.phase === 'Running' && p.ready);
    const notReady = pods.filter((p) => !(p.phase === 'Running' && p.ready));
    if (ready.length === 0) {
      const first = notReady[0];
      return {
        status: 'fail',
        detail: `${plural(pods.length, 'pod')} match ${sel} but none is Running and ready: ${listSome(notReady.map(podState), 3)}.`,
        fix: first
          ? `kubectl describe pod ${first.name} -n ${ns}; kubectl logs ${first.name} -n ${ns} --all-containers --previous`
          : `kubectl get pods -n ${ns} -l ${sel}`,
      };
    }
    const extra = notReady.length > 0 ? `; not ready: ${listSome(notReady.map(podState), 3)}` : '';
    return {
      status: 'pass',
      detail: `${ready.length} of ${plural(pods.length, 'pod')} matching ${sel} Running and ready (${listSome(ready.map((p) => p.name), 3)})${extra}.`,
    };
  },
});
