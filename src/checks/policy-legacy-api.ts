// Verifies that no legacy authentication.istio.io Policy/MeshPolicy is relied on where Istio ignores it.
// Istio 1.6 dropped the v1alpha1 authentication API: such objects stay in the cluster but do nothing, so the
// 401 for tokenless requests and principalBinding people expect are gone (ISTIO-JWT §0, §1.3, §7.17; 1.6 upgrade notes).
import { defineCheck } from '../engine/check.js';
import type { LegacyPolicyInfo } from '../model/index.js';
import { listSome, plural, policyName } from './lib/policy.js';
import { formatVersion, versionAtLeast } from './lib/version.js';

const DETECT = 'kubectl get policies.authentication.istio.io -A; kubectl get meshpolicies';
const MIGRATE =
  'Replace each with a security.istio.io/v1 RequestAuthentication (spec.jwtRules from origins[].jwt: issuer, jwksUri, audiences) plus an AuthorizationPolicy with requestPrincipals: ["*"] (the legacy 401 for tokenless requests needs it), then delete the old objects';

/** JWT config: origins (hand-built evidence without `hasOrigins`: rules made from origins). */
const hasOrigins = (p: LegacyPolicyInfo): boolean => p.hasOrigins ?? p.ruleKeys.length > 0;

/**
 * Whether, before 1.6, the object would have covered this Service (ISTIO-JWT §1.1): a service-specific Policy of its
 * namespace naming it, the namespace-wide Policy `default`, or the mesh-wide MeshPolicy `default`.
 */
function coversService(p: LegacyPolicyInfo, service: string, ns: string): boolean {
  if (p.source.kind === 'MeshPolicy') return p.source.name === 'default' && p.targets.length === 0;
  if ((p.source.namespace ?? ns) !== ns) return false;
  if (p.scope === 'service') return p.targets.some((t) => t.name === service);
  return p.source.name === 'default';
}

export default defineCheck({
  id: 'policy.legacy-api',
  title: 'No legacy authentication policy on an Istio that ignores it',
  docs: 'https://istio.io/latest/news/releases/1.6.x/announcing-1.6/upgrade-notes/',
  needs: ['policies', 'istio'],
  run(evidence, ctx) {
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
    const { service, namespace: ns } = ctx.target;
    // Someone relies on an object for JWT only if it has origins and would cover this Service; the rest (a
    // MeshPolicy default with only peers mTLS, policies for other Services) is leftover that changes nothing here.
    const reliedOn = legacy.filter((p) => hasOrigins(p) && coversService(p, service, ns));
    const leftovers = legacy.filter((p) => !reliedOn.includes(p));
    if (reliedOn.length === 0) {
      return {
        status: 'warn',
        detail: `Istio ${formatVersion(version)} ignores the legacy authentication API since 1.6; ${plural(legacy.length, 'leftover object')} (${names}) ${legacy.length === 1 ? 'is' : 'are'} dead config, and none holds JWT origins for ${service}.`,
        fix: `Delete the dead config (kubectl delete meshpolicies default; kubectl delete policies.authentication.istio.io <name> -n <namespace>); peers mTLS is PeerAuthentication since 1.5. Find them all: ${DETECT}.`,
      };
    }
    const others = leftovers.length > 0 ? ` Also dead config: ${listSome(leftovers.map((p) => policyName(p.source)), 3)}.` : '';
    return {
      status: 'fail',
      detail: `Istio ${formatVersion(version)} ignores the legacy authentication API since 1.6, yet ${listSome(reliedOn.map((p) => policyName(p.source)), 3)} still ${reliedOn.length === 1 ? 'holds' : 'hold'} JWT origins for ${service}: nothing validates those tokens.${others}`,
      fix: `${MIGRATE}. Find them all: ${DETECT}.`,
    };
  },
});
