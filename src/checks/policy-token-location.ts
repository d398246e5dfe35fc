// Verifies that each applying rule reads the token from a usable place (fromHeaders name/prefix, params, cookies).
// Envoy searches a header for the prefix case-sensitively and skips the header when it is absent, so "bearer "
// or a wrong header makes a good token count as missing; an empty prefix on Authorization keeps "Bearer " in the
// token (ISTIO-JWT §2.1, §7.12; envoyproxy/envoy jwt_authn extractor.cc).
import { defineCheck } from '../engine/check.js';
import type { JwtRule, TokenLocation } from '../model/index.js';
import { DEFAULT_LOCATIONS, describeLocation, listSome, perApplyingRule, ruleOrigin } from './lib/policy.js';

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
      const legacyHeaders = rule.api === 'legacy' ? rule.locations.filter((l) => l.in === 'header') : [];
      const legacyNote = legacyHeaders.length > 0
        ? ` (legacy jwt_headers take the raw header value as the token, with no prefix: clients must send the bare JWT in ${legacyHeaders.map((l) => l.name).join(', ')})`
        : '';
      return { status: 'pass', subject, detail: `Token read from ${where}${legacyNote}.` };
    });
  },
});
