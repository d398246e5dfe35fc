// Reads the recent istio-proxy access log for requests refused for auth reasons (401/403 from jwt_authn,
// RBAC, ext_authz, or the app itself: `via_upstream`) and says what each kind means. Read together with
// the token: a token that verifies against the live keys while the proxy says "Jwks doesn't have key…" /
// "Jwt verification fails" means stale or placeholder keys in the proxy, not a bad token (DESIGN §3).
// Source: ISTIO-JWT §4.2–4.4, §8 decision hints, §7 items 2, 3, 8–10.
import type { DenialGroup, Evidence } from '../model/index.js';
import { defineCheck } from '../engine/check.js';
import type { CheckOutcome } from '../engine/check.js';
import { isKeyMismatchStatus, jwtStatusHint, jwtStatusOf, rbacPolicyOf } from './lib/log-denials.js';
import { applyingRules, customLocationsOnly, describeLocation, listSome, ruleOrigin } from './lib/policy.js';
import { quoteList, rulesForIssuer, shorten, tokenIssuer, slotValue } from './lib/token-common.js';

const AUTH_SOURCES: ReadonlySet<DenialGroup['source']> = new Set(['jwt', 'rbac', 'ext_authz', 'upstream', 'other']);

function when(g: DenialGroup): string {
  return g.lastSeen ? `, last ${g.lastSeen}` : '';
}

function sample(g: DenialGroup): string {
  return g.samples[0] ? `; sample: ${shorten(g.samples[0], 180)}` : '';
}

function summary(g: DenialGroup): string {
  return `${g.count}× ${g.code} ${g.reason} (${g.details})${when(g)}`;
}

/**
 * Refusals a request WITHOUT a token gets: 401 "Jwt is missing", the legacy origin's 401 "Origin authentication
 * failed.", and 403 RBAC with no matched policy (`[none]`: an ALLOW rule needed a principal) or an old bare detail.
 */
function isTokenless(g: DenialGroup): boolean {
  if (g.source === 'jwt') {
    const status = jwtStatusOf(g);
    return status === 'Jwt is missing' || (status?.startsWith('Origin authentication failed') ?? false);
  }
  if (g.source === 'rbac') {
    const id = rbacPolicyOf(g);
    return id === undefined || id === 'none';
  }
  return false;
}

/** ISTIO-JWT §8: one outcome per kind of refusal. jwt refusals fail; the others warn (see below). */
function judgeGroup(g: DenialGroup, evidence: Evidence, rulesText: { noForward: string }): CheckOutcome {
  switch (g.source) {
    case 'jwt': {
      const status = jwtStatusOf(g);
      return {
        status: 'fail',
        detail: `${summary(g)}: ${jwtStatusHint(status)}${sample(g)}`,
        fix:
          status === undefined
            ? 'Turn on jwt debug logging (`istioctl proxy-config log <pod> --level jwt:debug`), reproduce, and read "JWT token verification completed with: <status>".'
            : `Follow the check named in the detail; to reproduce with one token: jwtcheck diagnose ${evidence.target.service} ${evidence.target.namespace} --token-file <file>.`,
      };
    }
    case 'rbac': {
      const id = rbacPolicyOf(g);
      if (id === 'none') {
        return {
          status: 'warn',
          detail:
            `${summary(g)}: no ALLOW rule matched — tokenless requests, a principal/claim mismatch (see token.authorization), ` +
            `no RequestAuthentication on this proxy (see policy.jwt-rules), or a gateway that stripped the token${sample(g)}`,
          fix:
            'Run jwtcheck with the failing token to see which rule misses and why; if requests pass a gateway first, ' +
            'set forwardOriginalToken: true on the gateway\'s RequestAuthentication.',
        };
      }
      return {
        status: 'warn',
        detail: `${summary(g)}: ${id ? `DENY rule ${id} matched` : 'RBAC denied (old proxy: no policy id)'}${sample(g)}`,
        fix: id
          ? `If these requests should pass, change that rule of the DENY AuthorizationPolicy (ns[..]-policy[<name>]-rule[<index>]).`
          : 'Run `istioctl proxy-config log <pod> --level rbac:debug` and read "enforced denied, matched policy <id>".',
      };
    }
    case 'ext_authz':
      return {
        status: 'warn',
        detail: `${summary(g)}: the CUSTOM AuthorizationPolicy's external authorizer refused these requests${sample(g)}`,
        fix: 'Read the external authorizer\'s own log (meshConfig extensionProviders names it); Istio only relays its answer.',
      };
    case 'upstream':
      return {
        status: 'warn',
        detail:
          `${summary(g)}: the application itself answered ${g.code}, Istio let the request through` +
          (rulesText.noForward ? `; ${rulesText.noForward} removes the token header before the app sees it` : '') +
          sample(g),
        fix: rulesText.noForward
          ? 'If the application reads the token itself, set forwardOriginalToken: true on that jwtRule.'
          : 'Look at the application\'s own auth settings and logs: Istio is not refusing these requests.',
      };
    default:
      return {
        status: 'warn',
        detail: `${summary(g)}${sample(g)}`,
        fix:
          'To see who refused these requests, use the default access-log format (Istio 1.9+ prints %RESPONSE_CODE_DETAILS%) ' +
          'or `istioctl proxy-config log <pod> --level jwt:debug,rbac:debug`.',
      };
  }
}

export default defineCheck({
  id: 'proxy.responses',
  title: 'Recent requests were not refused for auth reasons',
  docs: 'https://istio.io/latest/docs/tasks/observability/logs/access-log/',
  needs: ['proxyLogs', 'policies', 'issuers'],
  run(evidence) {
    const { proxyLogs, policies, issuers, token } = evidence;
    const logs = slotValue(proxyLogs);
    if (logs.pods.length === 0) return { status: 'skip', detail: 'no istio-proxy log was read (no pod with a sidecar)' };
    const access = logs.access;
    if (access.accessLines === 0) {
      return {
        status: 'skip',
        detail:
          `no access-log lines in ${access.lines} log lines of ${logs.pods.join(', ')}: access logging is off — ` +
          'enable meshConfig.accessLogFile=/dev/stdout or a Telemetry resource',
      };
    }
    const denials = access.denials.filter((g) => (g.code === 401 || g.code === 403) && AUTH_SOURCES.has(g.source));
    if (denials.length === 0) {
      const codes = Object.entries(access.byCode).map(([c, n]) => `${c}: ${n}`).join(', ');
      return { status: 'pass', detail: `${access.accessLines} requests, none refused for auth reasons (${codes})` };
    }

    const rules = applyingRules(slotValue(policies));
    const noForward = rules.filter((r) => !r.forwardOriginalToken).map(ruleOrigin);
    const rulesText = { noForward: noForward.length ? `${noForward.join(', ')} (forwardOriginalToken false)` : '' };

    // Evidence read together: a token that verifies against the live key set, but the proxy says its keys do not fit.
    const outcomes: CheckOutcome[] = [];
    const verified = token.provided && !token.problem
      ? rulesForIssuer(rules, tokenIssuer(token)).filter((r) => token.verification[r.key]?.outcome === 'verified')
      : [];
    const keyMismatch = denials.filter((g) => g.source === 'jwt' && isKeyMismatchStatus(jwtStatusOf(g)));
    if (verified.length && keyMismatch.length) {
      const rule = verified[0];
      const kid = typeof token.header?.['kid'] === 'string' ? (token.header['kid'] as string) : undefined;
      const slot = rule ? slotValue(issuers)[rule.key]?.keySet : undefined;
      const liveKids = slot?.ok ? slot.value.keys.map((k) => k.kid).filter((k): k is string => !!k) : [];
      outcomes.push({
        status: 'fail',
        title: 'The proxy holds stale or placeholder keys',
        detail:
          `the given token (kid ${kid ?? '(none)'}) verifies against the live key set of ${rule?.issuer ?? rule?.key ?? '?'} ` +
          `(kids ${quoteList(liveKids)}), yet the proxy refused ${keyMismatch.map(summary).join(', ')}: ` +
          'stale or placeholder keys in the proxy (rotation, istiod fetch failure), not a bad token',
        fix:
          'Check istiod.jwks-fetch: if istiod failed to fetch, fix that cause; after a rotation, wait for PILOT_JWT_PUB_KEY_REFRESH_INTERVAL ' +
          '(20 min by default) or restart istiod to refetch now: kubectl -n istio-system rollout restart deployment/istiod.',
      });
    }
    const custom = rules.flatMap((r) => {
      const only = customLocationsOnly(r);
      return only ? [`${ruleOrigin(r)} reads it only from ${listSome(only.map(describeLocation), 3)}`] : [];
    });
    const rest = denials
      .filter((g) => !(outcomes.length && keyMismatch.includes(g)))
      .map((g) => {
        const judged = judgeGroup(g, evidence, rulesText);
        if (custom.length === 0 || !isTokenless(g)) return judged;
        // Custom locations replace Authorization: Bearer (Envoy jwt_authn extractor.cc): such refusals are the tokenless kind.
        return {
          ...judged,
          detail: `${judged.detail}; clients that send "Authorization: Bearer" count as tokenless here: ${listSome(custom, 2)} (see policy.token-location)`,
          fix: `Send the token where the rule reads it (see policy.token-location), or add Authorization with prefix "Bearer " to its fromHeaders. ${judged.fix ?? ''}`.trim(),
        };
      });
    outcomes.push(...rest.filter((o) => o.status === 'fail'), ...rest.filter((o) => o.status !== 'fail'));
    const total = denials.reduce((n, g) => n + g.count, 0);
    return outcomes.map((o) => ({ ...o, detail: `${total} of ${access.accessLines} requests refused; ${o.detail}` }));
  },
});
