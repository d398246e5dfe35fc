// Verifies that no legacy authentication.istio.io Policy/MeshPolicy is relied on where Istio ignores it.
// Istio 1.6 dropped the v1alpha1 authentication API: such objects stay in the cluster but do nothing, so the
// 401 for tokenless requests and principalBinding people expect are gone (ISTIO-JWT §0, §1.3, §7.17; 1.6 upgrade notes).
import { defineCheck } from '../engine/check.js';
import { listSome, plural, policyName } from './lib/policy.js';
import { formatVersion, versionAtLeast } from './lib/version.js';

const DETECT = 'kubectl get policies.authentication.istio.io -A; kubectl get meshpolicies';
const MIGRATE =
  'Replace each with a security.istio.io/v1 RequestAuthentication (spec.jwtRules from origins[].jwt: issuer, jwksUri, audiences) plus an AuthorizationPolicy with requestPrincipals: ["*"] (the legacy 401 for tokenless requests needs it), then delete the old objects';

export default defineCheck({
  id: 'policy.legacy-api',
  title: 'No legacy authentication policy on an Istio that ignores it',
  docs: 'https://istio.io/latest/news/releases/1.6.x/announcing-1.6/upgrade-notes/',
  needs: ['policies', 'istio'],
  run(evidence) {
    const policies = evidence.policies.ok ? evidence.policies.value : undefined;
    const istio = evidence.istio.ok ? evidence.istio.value : undefined;
    if (!policies) return { status: 'skip', detail: 'No policy evidence.' };
    if (!policies.legacy.installed) {
      return { status: 'pass', detail: 'The authentication.istio.io API is not served: no legacy Policy or MeshPolicy can exist.' };
    }
    const legacy = policies.legacy.policies;
    if (legacy.length === 0) {
      return { status: 'pass', detail: 'No legacy Policy or MeshPolicy objects (the authentication.istio.io CRDs are still installed).' };
    }
    const names = listSome(legacy.map((p) => policyName(p.source)), 3);
    const version = istio?.version;
    if (!version) {
      return {
        status: 'warn',
        detail: `${plural(legacy.length, 'legacy object')} (${names}) and the Istio version is unknown${istio?.tag ? ` (tag ${istio.tag})` : ''}: on Istio 1.6 or later they are ignored.`,
        fix: `Read the version: kubectl get deploy -A -l app=istiod -o jsonpath='{..image}'. If it is 1.6 or later: ${MIGRATE} (${DETECT}).`,
      };
    }
    if (!versionAtLeast(version, 1, 6)) {
      return { status: 'pass', detail: `Istio ${formatVersion(version)} still honours the legacy API: ${names}.` };
    }
    return {
      status: 'fail',
      detail: `Istio ${formatVersion(version)} ignores the legacy authentication API since 1.6, yet ${plural(legacy.length, 'object')} remain: ${names}.`,
      fix: `${MIGRATE}. Find them all: ${DETECT}.`,
    };
  },
});
