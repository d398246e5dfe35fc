/**
 * Kubernetes RBAC rule matching, enough to answer "would manifests/clusterrole.yaml allow this request?"
 * for every request the end-to-end tests record against the fake API server. It follows the API
 * server's own matcher (k8s.io/kubernetes pkg/apis/rbac/v1/evaluation_helpers.go): verb, API group,
 * resource with subresource (`pods/log`, a bare star, star-slash-log), resourceNames, and nonResourceURLs with a
 * trailing `*`. Pure: no I/O, so it runs over recorded requests in any test.
 */

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface ClusterRoleLike {
  rules?: PolicyRule[] | null;
}

/** The fields of test/support/kube-api-server.ts's RecordedKubeRequest used here (src must not import test). */
export interface KubeRequestLike {
  path: string;
  verb: string;
  /** 'services' | 'pods/log' | '<plural>.<group>' | '<plural>.<group>/<sub>'; '' for non-resource paths. */
  resource: string;
  /** '' for the core group. */
  apiGroup: string;
}

export interface RbacDecision {
  allowed: boolean;
  /** The first rule that allowed it. */
  rule?: PolicyRule;
  reason: string;
}

export interface RbacOptions {
  /**
   * Every authenticated identity may read discovery (/api, /apis, /version, /openapi) through the
   * built-in system:discovery and system:public-info-viewer bindings, so a client's discovery calls
   * need no rule in our role. Default true.
   */
  includeDefaultDiscovery?: boolean;
}

/** From the built-in ClusterRoles system:discovery and system:public-info-viewer (bound to system:authenticated). */
export const DEFAULT_DISCOVERY_URLS = ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/readyz', '/openapi', '/openapi/*', '/version', '/version/'];

export function isAllowedByClusterRole(request: KubeRequestLike, role: ClusterRoleLike, options: RbacOptions = {}): boolean {
  return explainClusterRoleDecision(request, role, options).allowed;
}

export function explainClusterRoleDecision(request: KubeRequestLike, role: ClusterRoleLike, options: RbacOptions = {}): RbacDecision {
  const rules = role.rules ?? [];
  const describe = describeRequest(request);
  if (request.resource === '') {
    const path = request.path.split('?')[0] ?? request.path;
    const rule = rules.find((r) => verbMatches(r, request.verb) && (r.nonResourceURLs ?? []).some((u) => urlMatches(u, path)));
    if (rule) return { allowed: true, rule, reason: `${describe}: allowed by a nonResourceURLs rule` };
    if ((options.includeDefaultDiscovery ?? true) && DEFAULT_DISCOVERY_URLS.some((u) => urlMatches(u, path))) {
      return { allowed: true, reason: `${describe}: allowed to every authenticated user (system:discovery)` };
    }
    return { allowed: false, reason: `${describe}: no rule allows this non-resource URL` };
  }
  const { resource, subresource } = splitResource(request.resource, request.apiGroup);
  const name = nameFromPath(request.path);
  for (const rule of rules) {
    if (!verbMatches(rule, request.verb)) continue;
    if (!(rule.apiGroups ?? []).some((g) => g === '*' || g === request.apiGroup)) continue;
    if (!(rule.resources ?? []).some((r) => resourceMatches(r, resource, subresource))) continue;
    const names = rule.resourceNames ?? [];
    if (names.length > 0 && (name === undefined || !names.includes(name))) continue;
    return { allowed: true, rule, reason: `${describe}: allowed` };
  }
  return { allowed: false, reason: `${describe}: no rule allows it` };
}

function describeRequest(request: KubeRequestLike): string {
  if (request.resource === '') return `${request.verb} ${request.path}`;
  return `${request.verb} ${request.resource}${request.apiGroup === '' ? '' : ` (group ${request.apiGroup})`}`;
}

function verbMatches(rule: PolicyRule, verb: string): boolean {
  return rule.verbs.some((v) => v === '*' || v === verb);
}

/** As the API server: `*` matches everything, `pods/log` exactly, star-slash-log any resource's log subresource. */
function resourceMatches(ruleResource: string, resource: string, subresource: string | undefined): boolean {
  if (ruleResource === '*') return true;
  const combined = subresource === undefined ? resource : `${resource}/${subresource}`;
  if (ruleResource === combined) return true;
  return subresource !== undefined && ruleResource === `*/${subresource}`;
}

function urlMatches(ruleUrl: string, path: string): boolean {
  if (ruleUrl === '*') return true;
  if (ruleUrl.endsWith('*')) return path.startsWith(ruleUrl.slice(0, -1));
  return ruleUrl === path;
}

/** 'requestauthentications.security.io/status' with group 'security.io' -> requestauthentications + status. */
function splitResource(recorded: string, apiGroup: string): { resource: string; subresource: string | undefined } {
  const slash = recorded.indexOf('/');
  let base = slash < 0 ? recorded : recorded.slice(0, slash);
  const subresource = slash < 0 ? undefined : recorded.slice(slash + 1);
  if (apiGroup !== '' && base.endsWith(`.${apiGroup}`)) base = base.slice(0, -(apiGroup.length + 1));
  return { resource: base, subresource };
}

/** The object name in /api/v1/namespaces/ns/pods/NAME[/log] or /apis/g/v/…; undefined for lists. */
function nameFromPath(fullPath: string): string | undefined {
  const segments = (fullPath.split('?')[0] ?? '').split('/').filter(Boolean);
  const rest = segments[0] === 'api' ? segments.slice(2) : segments[0] === 'apis' ? segments.slice(3) : [];
  if (rest[0] === 'namespaces' && rest.length >= 3) return rest[3];
  return rest[1];
}
