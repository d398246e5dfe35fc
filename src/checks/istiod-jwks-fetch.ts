// Verifies that istiod's log shows no failure to fetch the keys (discovery document or JWKS) of any JWT rule
// that applies. In the default mode istiod fetches the keys and inlines them into every proxy; when it
// cannot, it pushes placeholder keys and EVERY token gets 401, while tokenless requests still pass.
// Source: ISTIO-JWT §3.1–3.3 (log lines by release, placeholder keys), §7 items 2 and 16.
import type { IstiodKeyFetchFailure } from '../evidence/model.js';
import { defineCheck } from '../engine/check.js';
import type { CheckOutcome } from '../engine/check.js';
import { applyingRules, ruleOrigin, ruleSubject } from './lib/policy.js';
import { explainFetchCause, failureIsAboutRule, placeholderMeaning } from './lib/log-keys.js';
import { shorten, slotValue } from './lib/token-common.js';

function describe(f: IstiodKeyFetchFailure): string {
  const what = f.url ?? f.issuer ?? 'the key server';
  const times = f.count > 1 ? `${f.count} times` : 'once';
  return `${JSON.stringify(what)}: ${shorten(f.cause, 160)} (${times}${f.time ? `, last ${f.time}` : ''})`;
}

export default defineCheck({
  id: 'istiod.jwks-fetch',
  title: 'istiod fetched the keys of every issuer',
  docs: 'https://istio.io/latest/docs/ops/common-problems/security-issues/',
  needs: ['istiodLogs', 'policies', 'istio'],
  run({ istiodLogs, policies, istio }) {
    const info = slotValue(istio);
    if (info.istiodPods.length === 0) {
      return {
        status: 'skip',
        detail: `istiod not found in ${info.rootNamespace}: managed control plane? Its log (key fetches) cannot be read here`,
      };
    }
    const log = slotValue(istiodLogs);
    if (log.lines === 0) {
      return { status: 'skip', detail: `the log of ${log.pod} is empty (just restarted?): nothing to judge` };
    }
    const rules = applyingRules(slotValue(policies));
    const outcomes: CheckOutcome[] = [];
    const meaning = placeholderMeaning(info.version);
    const release = info.tag ? `Istio ${info.tag}` : 'this Istio';
    const used = new Set<IstiodKeyFetchFailure>();

    for (const rule of rules) {
      const subject = ruleSubject(rule);
      const mine = log.fetchFailures.filter((f) => failureIsAboutRule(rule, f));
      mine.forEach((f) => used.add(f));
      if (mine.length === 0) {
        const how = rule.jwks ? 'the keys are inline, istiod fetches nothing' : `no fetch failure in the last ${log.lines} lines of ${log.pod}`;
        const updates = log.keyUpdates.length ? `; keys refreshed: ${shorten(log.keyUpdates[log.keyUpdates.length - 1] ?? '', 120)}` : '';
        outcomes.push({ status: 'pass', subject, detail: `${how}${updates}` });
        continue;
      }
      // Most recent first; prefer a line that names a concrete cause over istiod's fallback notice.
      const byTime = [...mine].sort((a, b) => (b.time ?? '').localeCompare(a.time ?? ''));
      const latest = (byTime.find((f) => !explainFetchCause(f.cause, f.url).generic) ?? byTime[0]) as IstiodKeyFetchFailure;
      // The URL is in the failure list of the detail already.
      const cause = explainFetchCause(latest.cause, undefined);
      const newest = byTime[0] as IstiodKeyFetchFailure;
      const recovered = log.keyUpdates.some((u) => ruleNamesIn(u, newest));
      outcomes.push({
        status: recovered ? 'warn' : 'fail',
        subject,
        detail:
          `${cause.words}: ${mine.map(describe).join('; ')} — so ${release} pushed ${meaning.pushed} for ${ruleOrigin(rule)} ` +
          `and every token gets 401 ${meaning.status}` +
          (recovered ? '; a later "Updated cached JWT public key" line suggests it has recovered since' : ''),
        fix: `${cause.fix} istiod retries in the background and pushes the real keys once a fetch succeeds (or restart it: kubectl -n ${info.rootNamespace} rollout restart deployment/istiod).`,
      });
    }

    const others = log.fetchFailures.filter((f) => !used.has(f));
    if (others.length && outcomes.length) {
      const note = `; istiod also failed for other issuers: ${others.map((f) => JSON.stringify(f.url ?? f.issuer ?? '?')).join(', ')}`;
      const first = outcomes[0] as CheckOutcome;
      outcomes[0] = { ...first, detail: first.detail + note };
    }
    if (log.ackErrors.length) {
      outcomes.push({
        status: 'fail',
        detail: `a proxy rejected (NACKed) its JWT config: ${shorten(ackCause(log.ackErrors[log.ackErrors.length - 1] ?? ''), 300)} — it keeps its previous listener, possibly without the policy`,
        fix: 'Fix the key set the error names (see issuer.jwks: unsupported kty/alg, malformed n/e, EC without crv); `istioctl proxy-status` shows the proxy as STALE/ERROR until then.',
      });
    }
    if (outcomes.length === 0) {
      return { status: 'skip', detail: 'no JWT rule applies, so istiod fetches no keys for this workload: see policy.jwt-rules' };
    }
    return outcomes;
  },
});

/**
 * Whether an "Updated cached JWT public key from <uri>" line names the same URL as the failure and, when both
 * carry a timestamp (istiod lines start with one), comes after it.
 */
function ruleNamesIn(updateLine: string, failure: IstiodKeyFetchFailure): boolean {
  if (!failure.url || !updateLine.includes(failure.url)) return false;
  const at = /^\s*(\d{4}-\d{2}-\d{2}T[\d:.]+Z?)/.exec(updateLine)?.[1];
  return !at || !failure.time || at > failure.time;
}

/** `… ADS:LDS: ACK ERROR <conn> <code>:<envoy message>`: the message is what matters; drop time, level, scope. */
function ackCause(line: string): string {
  const at = line.indexOf('ACK ERROR');
  return at >= 0 ? line.slice(at) : line;
}
