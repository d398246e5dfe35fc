/**
 * How the proxy decides a token when several JWT rules name the same issuer, per Istio release. Rules are never
 * merged into one provider; what differs by release is which of them may judge the token:
 *
 * - RequestAuthentication (1.5+): every rule is its own provider `origins-<i>`, and the requirement is
 *   requires_any[ origins-0, …, origins-n, requires_all[ any(origins-i, allow_missing)… ] ] (istio/istio 1.24.2
 *   pilot/pkg/security/authn/policy_applier.go `convertToEnvoyJwtConfig`; same shape in
 *   pilot/pkg/security/authn/v1beta1/policy_applier.go 1.5.0–1.14.x). A named provider verifies with its own keys and
 *   audiences (envoyproxy/envoy jwt_authn verifier.cc ProviderVerifierImpl, jwks_cache.cc findByProvider), so the
 *   token is ACCEPTED as soon as one provider for its issuer verifies it: `any-provider`.
 * - Legacy Policy origins, Istio 1.3–1.5: providers `origins-<i>` under one allow_missing_or_failed requirement
 *   (istio/istio 1.4.6 pilot/pkg/security/authn/v1alpha1/policy_applier.go `convertToEnvoyJwtConfig`); without a
 *   provider name Envoy looks the provider up BY ISSUER and keeps one per issuer, the first met while iterating the
 *   providers map (envoyproxy/envoy jwks_cache.cc `issuer_ptr_map_`, `findByIssuer`): which origin judges is not
 *   defined: `one-origin-arbitrary`.
 * - Legacy Policy origins, Istio 1.0–1.2 (Istio's own jwt_auth filter): keys and audiences are kept per issuer with
 *   `unordered_map::emplace`, which keeps the FIRST rule for an issuer and ignores the others (istio/proxy 1.0.6
 *   src/envoy/http/jwt_auth/pubkey_cache.h `PubkeyCache`): `first-origin`.
 * Unknown release with legacy rules: treated as `one-origin-arbitrary` (the cautious reading of both).
 */
import type { IstioVersion, JwtRule } from '../../model/index.js';

export type RequirementKind = 'any-provider' | 'first-origin' | 'one-origin-arbitrary';

export interface IssuerRequirement {
  kind: RequirementKind;
  /** The rules for one issuer that apply to the workload, in policy order. */
  providers: JwtRule[];
  /** The rules the proxy may judge a token with (first-origin: only the first). */
  candidates: JwtRule[];
  /** Rules the proxy never uses for this issuer (first-origin: all but the first). */
  ignored: JwtRule[];
  /** The rule in words, for details: "any provider for the issuer may accept it (requires_any)". */
  words: string;
}

export type TokenDecision =
  | { verdict: 'accepted'; accepting: JwtRule[]; refusing: JwtRule[] }
  | { verdict: 'refused'; accepting: []; refusing: JwtRule[] }
  /** one-origin-arbitrary with some origins accepting and some refusing: it depends on the proxy. */
  | { verdict: 'depends'; accepting: JwtRule[]; refusing: JwtRule[] };

const atLeast = (v: IstioVersion, minor: number): boolean => v.major > 1 || (v.major === 1 && v.minor >= minor);

/** The requirement the workload's release builds for these rules (all for one issuer, or issuer-less). */
export function requirementFor(providers: readonly JwtRule[], version: IstioVersion | undefined): IssuerRequirement {
  const all = [...providers];
  const legacy = all.length > 0 && all.every((r) => r.api === 'legacy');
  if (!legacy || all.length < 2) {
    return { kind: 'any-provider', providers: all, candidates: all, ignored: [], words: 'Envoy accepts the token once any provider for its issuer verifies it (requires_any)' };
  }
  const ordered = [...all].sort((a, b) => a.index - b.index);
  if (version !== undefined && !atLeast(version, 3)) {
    const [first, ...rest] = ordered;
    return {
      kind: 'first-origin',
      providers: ordered,
      candidates: first ? [first] : [],
      ignored: rest,
      words: "the proxy's jwt_auth filter (Istio 1.0–1.2) keeps only the first origin of an issuer and ignores the others",
    };
  }
  return {
    kind: 'one-origin-arbitrary',
    providers: ordered,
    candidates: ordered,
    ignored: [],
    words: 'Envoy (legacy origins, Istio 1.3–1.5) judges a token with ONE origin per issuer, and which one is not defined',
  };
}

/** Whether the token gets through, given which candidates would verify it (keys, audiences). */
export function decideToken(requirement: IssuerRequirement, accepts: (rule: JwtRule) => boolean): TokenDecision {
  const accepting = requirement.candidates.filter(accepts);
  const refusing = requirement.candidates.filter((r) => !accepting.includes(r));
  if (accepting.length === 0) return { verdict: 'refused', accepting: [], refusing };
  if (requirement.kind === 'one-origin-arbitrary' && refusing.length > 0) return { verdict: 'depends', accepting, refusing };
  return { verdict: 'accepted', accepting, refusing };
}
