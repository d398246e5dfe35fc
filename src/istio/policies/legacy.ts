/**
 * Legacy `authentication.istio.io/v1alpha1` Policy / MeshPolicy (Istio 0.8–1.5), ISTIO-JWT §1:
 * scope from name + targets, precedence service > namespace > mesh with the narrowest winning whole
 * (no merging), one picked arbitrarily among several service-specific matches, and every such object
 * ignored from Istio 1.6 on (1.6 upgrade notes).
 */
import { formatIstioVersion, isAtLeast } from '../istio-info.js';
import { asArray, asRecord, asString, changeStampOf, field } from '../kube-objects.js';
import type { ApplicabilityCode, IstioVersion, JwtRule, KubeObject, LegacyPolicyInfo, PolicyRef, ServiceInfo } from '../../model/index.js';
import { legacyJwtRules } from './jwt-rules.js';

export const LEGACY_API_VERSION = 'authentication.istio.io/v1alpha1';
const DEFAULT_NAME = 'default';

export interface LegacyInput {
  service: string;
  namespace: string;
  serviceInfo?: ServiceInfo;
  istioVersion?: IstioVersion;
  legacyPolicies: KubeObject[];
  meshPolicies: KubeObject[];
}

type Target = LegacyPolicyInfo['targets'][number];

interface Candidate {
  obj: KubeObject;
  source: PolicyRef;
  scope: LegacyPolicyInfo['scope'];
  targets: Target[];
  /** Why Istio would not even consider it (wrong name, other namespace), before precedence. */
  ignored?: Judged;
  /** Service scope: why it does or does not target the service. */
  match?: Judged;
}

/** A legacy policy's applicability; `applies` is `reasonCode === 'applies'`. */
interface Judged {
  reasonCode: ApplicabilityCode;
  reason: string;
}

const judged = (reasonCode: ApplicabilityCode, reason: string): Judged => ({ reasonCode, reason });

export function normaliseLegacy(input: LegacyInput): { policies: LegacyPolicyInfo[]; rules: JwtRule[] } {
  const candidates = [
    ...input.meshPolicies.map((obj) => meshCandidate(obj)),
    ...input.legacyPolicies.map((obj) => policyCandidate(obj, input)),
  ].sort((a, b) => a.source.name.localeCompare(b.source.name));

  const serviceHits = candidates.filter((c) => !c.ignored && c.scope === 'service' && c.match?.reasonCode === 'applies');
  const winner = serviceHits[0];
  const nsDefault = candidates.find((c) => !c.ignored && c.scope === 'namespace');

  const judge = (c: Candidate): Judged => {
    if (c.ignored) return c.ignored;
    if (c.scope === 'service') {
      if (c.match?.reasonCode !== 'applies') return c.match ?? judged('legacy-target-other-service', `does not target ${input.service}`);
      if (c !== winner) {
        return judged('legacy-overridden', `another service-specific Policy (${winner?.source.name ?? ''}) also targets ${input.service}: Istio picks one at random`);
      }
      const others = serviceHits.length > 1 ? `; ${serviceHits.length - 1} other service-specific Policy(s) also match and Istio picks one at random` : '';
      return judged('applies', `${c.match.reason} (service-specific: the narrowest scope wins${others})`);
    }
    if (c.scope === 'namespace') {
      if (winner) return judged('legacy-overridden', overridden(`service-specific Policy ${winner.source.name}`));
      return judged('applies', `namespace-wide Policy default of ${input.namespace}; no service-specific Policy targets ${input.service}`);
    }
    if (winner) return judged('legacy-overridden', overridden(`service-specific Policy ${winner.source.name}`));
    if (nsDefault) return judged('legacy-overridden', overridden(`namespace-wide Policy ${input.namespace}/default`));
    return judged('applies', `mesh-wide MeshPolicy default; no service-specific or namespace-wide Policy applies to ${input.service}`);
  };

  const version = input.istioVersion;
  // ISTIO-JWT §0 row 1.6: v1alpha1 authentication is ignored ("no longer supports") from 1.6 on.
  const dead = version && isAtLeast(version, 1, 6)
    ? `Istio ${version.major}.${version.minor} ignores authentication.istio.io policies (removed in 1.6)`
    : undefined;

  const policies: LegacyPolicyInfo[] = [];
  const rules: JwtRule[] = [];
  for (const c of candidates) {
    const scoped = judge(c);
    const verdict = dead
      ? judged('legacy-removed', `${dead}; it is dead config on ${formatVersion(version)} (before 1.6: ${scoped.reason})`)
      : scoped;
    const applicability = { applies: verdict.reasonCode === 'applies', ...verdict };
    const spec = asRecord(c.obj.spec);
    const parsed = legacyJwtRules(spec, c.source, applicability);
    rules.push(...parsed.rules);
    const info: LegacyPolicyInfo = {
      source: c.source,
      scope: c.scope,
      targets: c.targets,
      ruleKeys: parsed.rules.map((r) => r.key),
      originIsOptional: field(spec, 'originIsOptional', 'origin_is_optional') === true,
      hasPeers: (asArray(spec?.['peers'])?.length ?? 0) > 0,
      hasOrigins: (asArray(spec?.['origins'])?.length ?? 0) > 0,
      applies: applicability.applies,
      reason: parsed.problem ? `${applicability.reason}; ${parsed.problem}` : applicability.reason,
      reasonCode: applicability.reasonCode,
    };
    const binding = asString(field(spec, 'principalBinding', 'principal_binding'));
    if (binding !== undefined) info.principalBinding = binding;
    policies.push(info);
  }
  return { policies, rules };
}

function formatVersion(version: IstioVersion | undefined): string {
  return version ? formatIstioVersion(version) : 'this version';
}

function overridden(by: string): string {
  return `overridden by ${by}: the narrowest policy wins whole (no merging)`;
}

function meshCandidate(obj: KubeObject): Candidate {
  const name = asString(asRecord(obj.metadata)?.['name']) ?? '';
  const targets = readTargets(asRecord(obj.spec));
  const source: PolicyRef = { kind: 'MeshPolicy', apiVersion: apiVersionOf(obj), name, ...changeStampOf(obj) };
  const candidate: Candidate = { obj, source, scope: 'mesh', targets };
  if (name !== DEFAULT_NAME || targets.length > 0) {
    candidate.ignored = judged('legacy-misnamed', 'a MeshPolicy must be named default and have no targets; Istio ignores this one');
  }
  return candidate;
}

function policyCandidate(obj: KubeObject, input: LegacyInput): Candidate {
  const meta = asRecord(obj.metadata);
  const name = asString(meta?.['name']) ?? '';
  // A file written for `kubectl apply -n foo` has no namespace: it lands in the target namespace.
  const namespace = asString(meta?.['namespace']) ?? input.namespace;
  const targets = readTargets(asRecord(obj.spec));
  const source: PolicyRef = { kind: 'Policy', apiVersion: apiVersionOf(obj), namespace, name, ...changeStampOf(obj) };
  const scope = targets.length > 0 ? 'service' : 'namespace';
  const candidate: Candidate = { obj, source, scope, targets };
  if (namespace !== input.namespace) {
    candidate.ignored = judged('other-namespace', `lives in namespace ${namespace}; a Policy only applies to Services of its own namespace (${input.namespace})`);
  } else if (scope === 'namespace' && name !== DEFAULT_NAME) {
    candidate.ignored = judged('legacy-misnamed', 'a Policy without targets must be named default to be namespace-wide; Istio ignores this one');
  } else if (scope === 'service') {
    candidate.match = matchTargets(targets, input);
  }
  return candidate;
}

/** ISTIO-JWT §1.2: `name` is the Service short name; `ports` are Service ports (number or name), empty = all. */
function matchTargets(targets: Target[], input: LegacyInput): Judged {
  const named = targets.filter((t) => t.name === input.service);
  if (named.length === 0) {
    const fqdn = targets.find((t) => t.name.startsWith(`${input.service}.`));
    if (fqdn) {
      return judged('legacy-target-not-short-name', `targets ${fqdn.name}, but targets[].name must be the Service short name (${input.service})`);
    }
    return judged('legacy-target-other-service', `targets ${targets.map((t) => t.name).join(', ')}, not ${input.service}`);
  }
  const svc = input.serviceInfo;
  for (const t of named) {
    if (t.ports.length === 0) return judged('applies', `targets ${input.service} (all ports)`);
    if (!svc) return judged('applies', `targets ${input.service} on port(s) ${t.ports.join(', ')} (not checked: Service not found)`);
    const port = t.ports.find((p) =>
      svc.ports.some((sp) => (typeof p === 'number' ? sp.port === p : sp.name === p || String(sp.port) === p)),
    );
    if (port !== undefined) return judged('applies', `targets ${input.service} on port ${port}`);
  }
  const listed = named.flatMap((t) => t.ports).join(', ');
  const exposed = svc?.ports.map((p) => (p.name ? `${p.port}/${p.name}` : String(p.port))).join(', ') ?? '';
  return judged('legacy-port-not-exposed', `targets ${input.service} only on port(s) ${listed}, which the Service does not expose (it has ${exposed || 'no ports'})`);
}

function readTargets(spec: Record<string, unknown> | undefined): Target[] {
  return (asArray(spec?.['targets']) ?? []).flatMap((value) => {
    const target = asRecord(value);
    const name = asString(target?.['name']);
    if (name === undefined || name === '') return [];
    const ports = (asArray(target?.['ports']) ?? []).flatMap((p): (number | string)[] => {
      const port = asRecord(p);
      if (typeof port?.['number'] === 'number') return [port['number']];
      const portName = asString(port?.['name']);
      return portName ? [portName] : [];
    });
    return [{ name, ports }];
  });
}

function apiVersionOf(obj: KubeObject): string {
  return asString(obj.apiVersion) ?? LEGACY_API_VERSION;
}
