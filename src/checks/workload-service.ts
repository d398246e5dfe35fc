// Verifies that the Service named in the request exists in the namespace asked for.
// Istio binds JWT policies to workloads found through the Service, so a typo or the wrong namespace makes every
// later check meaningless; near names turn "not found" into "did you mean …" (DESIGN §3, ISTIO-JWT §8 step 1).
import { defineCheck } from '../engine/check.js';
import { listSome } from './lib/policy.js';

export default defineCheck({
  id: 'workload.service',
  title: 'Service exists in the namespace',
  docs: 'https://istio.io/latest/docs/ops/deployment/application-requirements/',
  needs: ['service', 'namespace'],
  run(evidence, ctx) {
    const { service: svcName, namespace: ns } = ctx.target;
    const lookup = evidence.service.ok ? evidence.service.value : undefined;
    const namespace = evidence.namespace.ok ? evidence.namespace.value : undefined;
    if (namespace && !namespace.exists) {
      return {
        status: 'fail',
        detail: `Namespace ${ns} does not exist, so Service ${svcName} cannot be found there.`,
        fix: `List the namespaces (kubectl get namespaces) and run again with the right one; to find the Service: kubectl get svc -A --field-selector metadata.name=${svcName}`,
      };
    }
    const svc = lookup?.service;
    if (!svc) {
      const near = lookup?.nearNames ?? [];
      const hint = near.length > 0 ? `: did you mean ${listSome(near.map((n) => `${n}`), 3)}?` : '.';
      return {
        status: 'fail',
        detail: `Service ${svcName} not found in namespace ${ns}${hint}`,
        fix: `kubectl get svc -n ${ns} — then run again with the Service's exact name (or with the namespace it lives in: kubectl get svc -A | grep ${svcName}).`,
      };
    }
    const ports = svc.ports.map((p) => (p.name ? `${p.name}/${p.port}` : `${p.port}`)).join(', ');
    return {
      status: 'pass',
      detail: `Service ${ns}/${svc.name} exists (${svc.type ?? 'ClusterIP'}, ports ${ports || 'none'}).`,
    };
  },
});
