// Verifies that istiod's log shows no failure to fetch the keys (discovery document or JWKS) of any JWT rule
// that applies. In the default mode istiod fetches the keys and inlines them into every proxy; when the push
// path cannot (or istiod says it fell back), it pushes placeholder keys and EVERY token gets 401, while
// tokenless requests still pass. A failure of the background refresh only keeps the last good keys (a key
// rotation is missed). In remote-JWKS mode (PILOT_JWT_ENABLE_REMOTE_JWKS=envoy) the sidecar fetches instead.
// `ADS:LDS: ACK ERROR` lines count only when their connection id names one of the target's pods.
// Source: ISTIO-JWT §3.1–3.3 (log lines by release, placeholder keys, remote mode), §4.2, §7 items 2 and 16.
import type { IstioInfo, IstiodKeyFetchFailure, IstiodLogEvidence, JwtRule, PodInfo, Slot } from '../model/index.js';
import { defineCheck } from '../engine/check.js';
import type { CheckOutcome } from '../engine/check.js';
import { isRemoteJwksCause } from '../istio/logs/istiod-log.js';
import { applyingRules, plural, policyName, ruleOrigin, ruleSubject } from './lib/policy.js';
import { jwksFetchMode } from './lib/fetch-fix.js';
import type { JwksFetchMode } from './lib/fetch-fix.js';
import { explainFetchCause, failureIsAboutRule, placeholderMeaning } from './lib/log-keys.js';
import type { PlaceholderMeaning } from './lib/log-keys.js';
import { shorten, slotValue } from './lib/token-common.js';
import { versionAtLeast } from './lib/version.js';

function describe(f: IstiodKeyFetchFailure): string {
  const what = f.url ?? f.issuer ?? 'the key server';
  const times = f.count > 1 ? `${f.count} times` : 'once';
  return `${JSON.stringify(what)}: ${shorten(f.cause, 160)} (${times}${f.time ? `, last ${f.time}` : ''})`;
}

/** What every per-rule outcome needs to know about this istiod and its log. */
interface Scene {
  info: IstioInfo;
  log: IstiodLogEvidence;
  meaning: PlaceholderMeaning;
  release: string;
  mode: JwksFetchMode;
  /** Before 1.5 the keys are fetched by Pilot: Deployment istio-pilot, container discovery. */
  pilotEra: boolean;
  /** Istio 1.0–1.3 drop the whole Policy when discovery fails. */
  policyDropped: boolean;
  restart: string;
}

function sceneOf(info: IstioInfo, log: IstiodLogEvidence): Scene {
  const before = (minor: number): boolean => info.version !== undefined && !versionAtLeast(info.version, 1, minor);
  const pilotEra = before(5);
  return {
    info,
    log,
    meaning: placeholderMeaning(info.version),
    release: info.tag ? `Istio ${info.tag}` : 'this Istio',
    mode: jwksFetchMode(info.env),
    pilotEra,
    policyDropped: before(4),
    restart: `kubectl -n ${info.rootNamespace} rollout restart deployment/${pilotEra ? 'istio-pilot' : 'istiod'}`,
  };
}

const say = (scene: Scene, text: string): string => (scene.pilotEra ? text.replace(/istiod/g, 'Pilot') : text);

// Most recent first; prefer a line that names a concrete cause over istiod's fallback notice.
const byTime = (list: IstiodKeyFetchFailure[]): IstiodKeyFetchFailure[] => [...list].sort((a, b) => (b.time ?? '').localeCompare(a.time ?? ''));
const concrete = (list: IstiodKeyFetchFailure[]): IstiodKeyFetchFailure | undefined => list.find((f) => !explainFetchCause(f.cause, f.url).generic);

function noFailure(rule: JwtRule, { log, mode }: Scene): CheckOutcome {
  const how = rule.jwks
    ? 'the keys are inline, istiod fetches nothing'
    : mode === 'envoy' && rule.jwksUri
      ? `PILOT_JWT_ENABLE_REMOTE_JWKS=envoy: the sidecar fetches ${rule.jwksUri} itself (see proxy.jwt-config), and istiod reported no missing cluster for it`
      : `no fetch failure in the last ${log.lines} lines of ${log.pod}`;
  const updates = log.keyUpdates.length ? `; keys refreshed: ${shorten(log.keyUpdates[log.keyUpdates.length - 1] ?? '', 120)}` : '';
  return { status: 'pass', subject: ruleSubject(rule), detail: `${how}${updates}` };
}

// Remote-JWKS mode: istiod did not fetch at all; the sidecar is told to, through a cluster that does not exist.
function remoteWithoutCluster(rule: JwtRule, remote: IstiodKeyFetchFailure[], { info }: Scene): CheckOutcome {
  const url = remote.find((f) => f.url)?.url ?? rule.jwksUri;
  const target = url ? ` (${url})` : '';
  return {
    status: 'fail',
    subject: ruleSubject(rule),
    detail:
      `istiod runs in remote-JWKS mode${info.env['PILOT_JWT_ENABLE_REMOTE_JWKS'] ? ` (PILOT_JWT_ENABLE_REMOTE_JWKS=${info.env['PILOT_JWT_ENABLE_REMOTE_JWKS']})` : ''}: ` +
      `the sidecar, not istiod, fetches the keys${target} for ${ruleOrigin(rule)}, but there is no mesh cluster for the key server: ${remote.map(describe).join('; ')} — ` +
      'istiod still pushes a remote_jwks pointing at a cluster that does not exist, so the proxy logs "fetch pubkey … failed" and every token gets 401 "Jwks remote fetch is failed"',
    fix:
      'The pods\' sidecars (not istiod) must reach the JWKS host: create a ServiceEntry for it (plus a DestinationRule with TLS origination for https) ' +
      'and allow egress from the workload\'s namespace; or set PILOT_JWT_ENABLE_REMOTE_JWKS=hybrid (or remove it, so istiod fetches and inlines the keys) on istiod.',
  };
}

// Istio 1.0–1.3: when discovery fails ("Failed to get jwks_uri for issuer", issuer only), Pilot leaves the
// whole Policy out for the service (GetConsolidateAuthenticationPolicy in pilot/pkg/model/authentication.go
// 1.0.6–1.2.x, pilot/pkg/security/model/authentication.go 1.3.x returns it only when the error is nil).
function policyLeftOut(rule: JwtRule, discovery: IstiodKeyFetchFailure, scene: Scene): CheckOutcome {
  const cause = explainFetchCause(discovery.cause, undefined);
  return {
    status: 'fail',
    subject: ruleSubject(rule),
    detail:
      `Pilot could not find the key URL of ${rule.issuer ?? '?'} by discovery (${cause.words}): ${describe(discovery)} — so ${scene.release} leaves ` +
      `${policyName(rule.source)} out of this service's config altogether: no origin (JWT) check runs, requests without a token pass`,
    fix: `${say(scene, cause.fix)} Setting jwks_uri on the origin avoids discovery; then restart Pilot: ${scene.restart}.`,
  };
}

// Push-path failures and fallback notices mean placeholder keys, unless the keys were updated since.
function placeholderPushed(rule: JwtRule, mine: IstiodKeyFetchFailure[], pushed: IstiodKeyFetchFailure[], scene: Scene): CheckOutcome {
  const { log, meaning, release, restart } = scene;
  const active = pushed.filter((f) => !recoveredSince(rule, f, log.keyUpdates));
  const sorted = byTime(active.length > 0 ? active : pushed);
  // The URL is in the failure list of the detail already.
  const latest = concrete(sorted) ?? concrete(byTime(mine)) ?? (sorted[0] as IstiodKeyFetchFailure);
  const cause = explainFetchCause(latest.cause, undefined);
  const recovered = active.length === 0;
  return {
    status: recovered ? 'warn' : 'fail',
    subject: ruleSubject(rule),
    detail:
      `${say(scene, cause.words)}: ${mine.map(describe).join('; ')} — so ${release} pushed ${meaning.pushed} for ${ruleOrigin(rule)} ` +
      `and every token ${recovered ? 'got' : 'gets'} 401 ${meaning.status}` +
      (recovered ? '; a later "Updated cached JWT public key" line suggests it has recovered since' : ''),
    fix: scene.pilotEra
      ? `${say(scene, cause.fix)} Pilot fetches again on its next push (or restart it: ${restart}).`
      : `${cause.fix} istiod retries in the background and pushes the real keys once a fetch succeeds (or restart it: ${restart}).`,
  };
}

// Only the background refresh failed: the proxies keep the keys istiod fetched last time.
function refreshFailed(rule: JwtRule, mine: IstiodKeyFetchFailure[], { log, restart }: Scene): CheckOutcome {
  const latest = concrete(byTime(mine)) ?? (byTime(mine)[0] as IstiodKeyFetchFailure);
  const cause = explainFetchCause(latest.cause, undefined);
  const recovered = mine.every((f) => recoveredSince(rule, f, log.keyUpdates));
  return {
    status: 'warn',
    subject: ruleSubject(rule),
    detail:
      `istiod could not refresh the keys of ${ruleOrigin(rule)} (${cause.words}): ${mine.map(describe).join('; ')} — ` +
      'it keeps the last good ones, so tokens signed with those still pass, but a key rotation is not picked up ' +
      '(tokens with a new kid get 401 "Jwks doesn\'t have key to match kid or alg from Jwt")' +
      (recovered ? '; a later "Updated cached JWT public key" line suggests it has recovered since' : ''),
    fix: `${cause.fix} istiod retries with backoff (1 min doubling to 60 min); after fixing the cause, restart it to refetch at once: ${restart}.`,
  };
}

/** One rule against the fetch failures that concern it (`mine`). */
function judgeRule(rule: JwtRule, mine: IstiodKeyFetchFailure[], scene: Scene): CheckOutcome {
  if (mine.length === 0) return noFailure(rule, scene);
  const remote = mine.filter((f) => isRemoteJwksCause(f.cause));
  if (remote.length > 0) return remoteWithoutCluster(rule, remote, scene);
  const pushed = mine.filter((f) => f.placeholder);
  const discovery = scene.policyDropped && rule.api === 'legacy' ? pushed.find((f) => f.issuer && !f.url) : undefined;
  if (discovery) return policyLeftOut(rule, discovery, scene);
  return pushed.length > 0 ? placeholderPushed(rule, mine, pushed, scene) : refreshFailed(rule, mine, scene);
}

/** Appends a note to the first outcome's detail (there is always one when this runs). */
function noteOnFirst(outcomes: CheckOutcome[], note: string): void {
  const first = outcomes[0] as CheckOutcome;
  outcomes[0] = { ...first, detail: first.detail + note };
}

/** ACK errors are mesh-wide: only those from one of this service's proxies concern it; the rest are counted. */
function ackErrorOutcomes(log: IstiodLogEvidence, pods: Slot<PodInfo[]>, outcomes: CheckOutcome[]): void {
  const targetPods = pods.ok ? pods.value : [];
  const ours = log.ackErrors.filter((line) => targetPods.some((p) => namesPod(line, p)));
  const elsewhere = log.ackErrors.length - ours.length;
  if (ours.length) {
    const line = ours[ours.length - 1] ?? '';
    const pod = targetPods.find((p) => namesPod(line, p));
    outcomes.push({
      status: 'fail',
      detail:
        `${pod ? `the proxy of ${pod.name}` : 'a proxy of this service'} rejected (NACKed) its JWT config: ${shorten(ackCause(line), 300)} — ` +
        'it keeps its previous listener, possibly without the policy',
      fix: 'Fix the key set the error names (see issuer.jwks: unsupported kty/alg, malformed n/e, EC without crv); `istioctl proxy-status` shows the proxy as STALE/ERROR until then.',
    });
  }
  if (elsewhere > 0 && outcomes.length) {
    noteOnFirst(
      outcomes,
      pods.ok
        ? `; ${plural(elsewhere, 'ACK ERROR line')} about the JWT config of other proxies (not this service's pods) ignored`
        : `; ${plural(elsewhere, 'ACK ERROR line')} about JWT config not tied to this service (its pods could not be read)`,
    );
  }
}

export default defineCheck({
  id: 'istiod.jwks-fetch',
  title: 'istiod fetched the keys of every issuer',
  docs: 'https://istio.io/latest/docs/ops/common-problems/security-issues/',
  needs: ['istiodLogs', 'policies', 'istio'],
  // Only to tie mesh-wide ACK ERROR lines to this service's proxies; without pods they are left out.
  uses: ['pods'],
  run({ istiodLogs, policies, istio, pods }) {
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
    const scene = sceneOf(info, log);
    const used = new Set<IstiodKeyFetchFailure>();
    const outcomes = applyingRules(slotValue(policies)).map((rule) => {
      const mine = log.fetchFailures.filter((f) => failureIsAboutRule(rule, f));
      mine.forEach((f) => used.add(f));
      return judgeRule(rule, mine, scene);
    });
    const others = log.fetchFailures.filter((f) => !used.has(f));
    if (others.length && outcomes.length) {
      noteOnFirst(outcomes, `; istiod also failed for other issuers: ${others.map((f) => JSON.stringify(f.url ?? f.issuer ?? '?')).join(', ')}`);
    }
    ackErrorOutcomes(log, pods, outcomes);
    if (outcomes.length === 0) {
      return { status: 'skip', detail: 'no JWT rule applies, so istiod fetches no keys for this workload: see policy.jwt-rules' };
    }
    return outcomes;
  },
});

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Whether an ACK ERROR line's connection id names this pod: `<pod>.<namespace>-<n>` (1.1+) or
 * `sidecar~<ip>~<pod>.<namespace>~<namespace>.svc.cluster.local-<n>` (1.0).
 */
export function namesPod(line: string, pod: Pick<PodInfo, 'name' | 'namespace'>): boolean {
  return new RegExp(`(?:^|[\\s~])${escapeRe(`${pod.name}.${pod.namespace}`)}(?:~|-\\d+(?=\\s|$))`).test(line);
}

/**
 * Whether a later "Updated cached JWT public key from <uri>" line is about this rule (the same URL as the failure,
 * or any URL of the rule's issuer) and, when both carry a timestamp (istiod lines start with one), comes after it.
 */
function recoveredSince(rule: JwtRule, failure: IstiodKeyFetchFailure, keyUpdates: readonly string[]): boolean {
  return keyUpdates.some((line) => {
    const url = /Updated cached JWT public key from "([^"]*)"/.exec(line)?.[1];
    if (!url) return false;
    if (url !== failure.url && !failureIsAboutRule(rule, { url })) return false;
    const at = /^\s*(\d{4}-\d{2}-\d{2}T[\d:.]+Z?)/.exec(line)?.[1];
    return !at || !failure.time || at > failure.time;
  });
}

/** `… ADS:LDS: ACK ERROR <conn> <code>:<envoy message>`: the message is what matters; drop time, level, scope. */
function ackCause(line: string): string {
  const at = line.indexOf('ACK ERROR');
  return at >= 0 ? line.slice(at) : line;
}
