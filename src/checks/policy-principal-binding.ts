// Verifies that a legacy Policy with origins sets principalBinding: USE_ORIGIN (Istio ≤ 1.5 only).
// principalBinding never changes accept/reject; it selects which identity becomes request.auth.principal for RBAC.
// With USE_PEER (the default) end-user rules never match — step 1 of the Istio 1.0 end-user-auth page (ISTIO-JWT §1.2).
import { defineCheck } from '../engine/check.js';
import { listSome, policyName } from './lib/policy.js';

export default defineCheck({
  id: 'policy.principal-binding',
  title: 'Legacy Policy binds the principal to the end user (USE_ORIGIN)',
  docs: 'https://istio.io/v1.4/docs/reference/config/security/istio.authentication.v1alpha1/',
  needs: ['policies'],
  run(evidence) {
    const policies = evidence.policies.ok ? evidence.policies.value : undefined;
    const withOrigins = (policies?.legacy.policies ?? []).filter((p) => p.applies && p.ruleKeys.length > 0);
    if (withOrigins.length === 0) {
      return {
        status: 'skip',
        detail: 'No applying legacy Policy with origins (the modern API has no principalBinding: request.auth.principal is always the token\'s iss/sub).',
      };
    }
    const wrong = withOrigins.filter((p) => p.principalBinding !== 'USE_ORIGIN');
    if (wrong.length === 0) {
      return { status: 'pass', detail: `${listSome(withOrigins.map((p) => policyName(p.source)), 2)} set principalBinding: USE_ORIGIN.` };
    }
    const described = wrong.map((p) => `${policyName(p.source)} has principalBinding ${p.principalBinding ?? 'unset (USE_PEER)'}`);
    return {
      status: 'fail',
      detail: `${listSome(described, 2)}: tokens are still verified (accept/reject is unchanged), but the end-user identity is never the principal, so RBAC rules on end users (ServiceRoleBinding users, request.auth.principal) never match.`,
      fix: `Set spec.principalBinding: USE_ORIGIN in ${listSome(wrong.map((p) => policyName(p.source)), 2)}.`,
    };
  },
});
