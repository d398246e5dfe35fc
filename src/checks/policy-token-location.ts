// Verifies that each applying rule reads the token from a usable place (fromHeaders name/prefix, params, cookies).
// Envoy searches a header for the prefix case-sensitively and skips the header when it is absent, so "bearer "
// or a wrong header makes a good token count as missing; an empty prefix on Authorization keeps "Bearer " in the
// token (ISTIO-JWT §2.1, §7.12; envoyproxy/envoy jwt_authn extractor.cc). Custom locations REPLACE the default
// Authorization: Bearer header (extractor.cc addProvider), so even usable ones are a warning: clients must use them.
import { defineCheck } from '../engine/check.js';
import type { JwtRule, TokenLocation } from '../model/index.js';
import { DEFAULT_LOCATIONS, customLocationsOnly, describeLocation, howToSend, listSome, perApplyingRule, ruleOrigin } from './lib/policy.js';

interface Finding {
  problem: string;
  fix: string;
}

function findingsFor(rule: JwtRule, loc: TokenLocation, i: number): Finding[] {
  const field = rule.api === 'modern' ? `fromHeaders[${i}]` : `jwt_headers[${i}]`;
  const out: Finding[] = [];
  if (loc.name.trim() === '') {
    const what = loc.in === 'header' ? 'header' : loc.in === 'param' ? 'query parameter' : 'cookie';
    out.push({ problem: `a ${what} location has an empty name`, fix: `give it a name (e.g. Authorization) or remove it` });
    return out;
  }
  if (loc.in !== 'header' || rule.api === 'legacy') return out;
  const prefix = loc.prefix ?? '';
  const isAuthorization = loc.name.toLowerCase() === 'authorization';
  if (prefix === '') {
    if (isAuthorization) {
      out.push({
        problem: `${field} reads Authorization with no prefix, so the token Envoy sees is "Bearer <jwt>" and fails as malformed (401)`,
        fix: `set ${field}.prefix: "Bearer " in ${ruleOrigin(rule)}`,
      });
    }
    return out;
  }
  const bare = prefix.trim();
  if (bare.toLowerCase() === 'bearer' && bare !== 'Bearer') {
    out.push({
      problem: `${field} prefix "${prefix}" is matched case-sensitively, so clients sending "Bearer <jwt>" are treated as sending no token`,
      fix: `set ${field}.prefix: "Bearer " in ${ruleOrigin(rule)}`,
    });
  } else if (!prefix.endsWith(' ')) {
    out.push({
      problem: `${field} prefix "${prefix}" does not end with a space; older proxies then keep the space in the token (401 "Jwt is not in the form of Header.Payload.Signature…")`,
      fix: `set ${field}.prefix: "${prefix} " in ${ruleOrigin(rule)}`,
    });
  }
  return out;
}

export default defineCheck({
  id: 'policy.token-location',
  title: 'Token locations are usable',
  docs: 'https://istio.io/latest/docs/reference/config/security/request_authentication/',
  needs: ['policies'],
  run(evidence) {
    return perApplyingRule(evidence.policies, (rule, { subject, origin }) => {
      if (rule.locations.length === 0) {
        return { status: 'pass', subject, detail: `Defaults: ${DEFAULT_LOCATIONS.map(describeLocation).join(', ')}.` };
      }
      const headerIdx = new Map<TokenLocation, number>();
      let h = 0;
      for (const l of rule.locations) if (l.in === 'header') headerIdx.set(l, h++);
      const findings = rule.locations.flatMap((l) => findingsFor(rule, l, headerIdx.get(l) ?? 0));
      const where = listSome(rule.locations.map(describeLocation), 4);
      if (findings.length > 0) {
        return {
          status: 'warn',
          subject,
          detail: `${origin}: ${findings.map((f) => f.problem).join('; ')} (reads ${where}).`,
          fix: `${[...new Set(findings.map((f) => f.fix))].join('; ')}.`,
        };
      }
      const custom = customLocationsOnly(rule);
      if (custom) {
        const send = listSome(custom.map((l) => howToSend(l, rule.api)), 3);
        const raw = rule.api === 'legacy' && custom.some((l) => l.in === 'header') ? ' (legacy jwt_headers take the raw header value as the token, no "Bearer ")' : '';
        return {
          status: 'warn',
          subject,
          detail:
            `${origin} reads the token ONLY from ${where}${raw}: the default Authorization: Bearer header is not read for this rule, ` +
            'so a client that sends "Authorization: Bearer <jwt>" counts as sending no token (401 under a legacy origin, 403 "RBAC: access denied" under an AuthorizationPolicy that requires one).',
          fix:
            `Clients must send the token as ${send}` +
            (rule.api === 'modern'
              ? `; if they use the standard header, add {name: Authorization, prefix: "Bearer "} to fromHeaders in ${origin}.`
              : `; to read the standard Authorization: Bearer header instead, remove jwt_headers/jwt_params from ${origin}.`),
        };
      }
      return { status: 'pass', subject, detail: `Token read from ${where}.` };
    });
  },
});
