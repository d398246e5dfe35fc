// Verifies, per JWT rule that would judge the token, that its aud holds one of the rule's audiences.
// A mismatch is the one jwt_authn failure answered with 403 (not 401): "Audiences in Jwt are not allowed"
// (envoyproxy/envoy PR #7679). Empty audiences = not checked, and scheme/one trailing "/" are ignored on
// both sides (google/jwt_verify_lib src/check_audience.cc; ISTIO-JWT §2.1, §7 item 5).
import { defineCheck } from '../engine/check.js';
import { ruleOrigin, ruleSubject } from './lib/policy.js';
import { matchingAudiences, tokenAudiences } from './lib/token-audience.js';
import { perRuleForToken, quoteList, refusalText, showValue } from './lib/token-common.js';

export default defineCheck({
  id: 'token.audience',
  title: 'Token audience (aud) is one the rule accepts',
  docs: 'https://istio.io/latest/docs/reference/config/security/request_authentication/',
  needs: ['policies'],
  // Only when several providers name the token's issuer: the release's rule, and which provider's keys verify it.
  uses: ['istio', 'issuers'],
  run({ token, policies, istio }) {
    const rawAud = token.claims?.['aud'];
    const aud = tokenAudiences(rawAud);
    return perRuleForToken(token, policies, (rule) => {
      const subject = ruleSubject(rule);
      if (rule.audiences.length === 0) {
        return { status: 'skip', subject, detail: `${ruleOrigin(rule)} lists no audiences: aud is not checked` };
      }
      if (aud === undefined) {
        return {
          status: 'fail',
          subject,
          detail: `aud is ${showValue(rawAud)}: 401 "Jwt payload [aud] field is not a string or string list"`,
          fix: 'The IdP must write aud as a string or a list of strings; check its audience mapper.',
        };
      }
      const hits = matchingAudiences(aud, rule.audiences);
      if (hits.length) {
        return { status: 'pass', subject, detail: `aud ${quoteList(hits)} is allowed by ${ruleOrigin(rule)}` };
      }
      return {
        status: 'fail',
        subject,
        detail:
          `token aud ${aud.length ? quoteList(aud) : '(none)'} matches none of the audiences ${quoteList(rule.audiences)} ` +
          `of ${ruleOrigin(rule)} → ${refusalText('Audiences in Jwt are not allowed', rule.api === 'legacy', 403)}`,
        fix: aud.length
          ? `Add ${JSON.stringify(aud[0])} to audiences in ${ruleOrigin(rule)}, or request a token for ${JSON.stringify(rule.audiences[0])} ` +
            '(OAuth "audience"/"resource" parameter, or an audience mapper at the IdP).'
          : `The token has no aud: configure the IdP to add ${JSON.stringify(rule.audiences[0])} (audience mapper), or remove audiences from ${ruleOrigin(rule)}.`,
      };
    }, istio);
  },
});
