/**
 * A Kubernetes-API-shaped HTTP server on 127.0.0.1, good enough for the REAL @kubernetes/client-node:
 * same paths, same list/Status shapes, same 403/404 wording, RBAC refusals and failures injected per
 * `verb resource namespace` pattern. It is read-only (writes answer 405) because jwtcheck never writes.
 *
 * Things it does like a real API server, on purpose, because the code under test depends on them:
 * - an unserved group/version or unknown resource answers `404 page not found` as text/plain, not a Status;
 * - a list at any served version of a group returns objects stored at another version, apiVersion rewritten;
 * - listing in a namespace that does not exist is an empty list, while a get there is NotFound;
 * - authorization runs before routing, so a refused request to an unserved group is 403, not 404;
 * - a namespace exists when some object lives in it (a real cluster cannot hold objects in a missing one).
 */
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../src/model/index.js';

export interface KubeFixture {
  objects: KubeObject[];
  /** key `${namespace}/${pod}/${container}` -> full log text; `${…}#previous` for `previous=true`. */
  logs?: Record<string, string>;
  /** RBAC refusals: `${verb} ${resource} ${namespace|'*'}`; `*` also works for verb and resource. */
  forbidden?: string[];
  failing?: { pattern: string; status: 500 | 'hang' }[];
  latencyMs?: number;
  /** `group/version` (core is always served). */
  servedGroups?: string[];
}

export interface KubeServerOptions {
  /** Serve HTTPS with this certificate (PEM); the kubeconfig then trusts it as its CA instead of skipping verification. */
  tls?: { cert: string; key: string };
}

export type KubeVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

export interface RecordedKubeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  verb: KubeVerb;
  /** 'services' | 'pods' | 'pods/log' | … | '<plural>.<group>'; '' for non-resource paths (/version, /apis). */
  resource: string;
  apiGroup: string;
  namespace?: string;
  /** 0 while unanswered (a 'hang' failure never answers). */
  status: number;
  bytes: number;
}

export interface KubeApiServer {
  url: string;
  kubeconfigYaml: string;
  writeKubeconfig(dir: string): string;
  requests: RecordedKubeRequest[];
  /** TCP connections accepted so far (keep-alive reuse shows as fewer connections than requests). */
  connections(): number;
  setFixture(fixture: KubeFixture): void;
  close(): Promise<void>;
}

/** The identity named in 403 messages: the service account the manifests give jwtcheck. */
export const KUBE_TEST_USER = 'system:serviceaccount:jwtcheck:jwtcheck';
export const KUBE_TEST_TOKEN = 'test-token';

const DEFAULT_SERVED_GROUPS = ['security.istio.io/v1', 'security.istio.io/v1beta1'];

/** Kinds a real cluster knows per group even with no object stored; plural -> Kind. */
const KNOWN_KINDS: Record<string, Record<string, string>> = {
  '': {
    services: 'Service',
    pods: 'Pod',
    namespaces: 'Namespace',
    configmaps: 'ConfigMap',
    endpoints: 'Endpoints',
    secrets: 'Secret',
    serviceaccounts: 'ServiceAccount',
    nodes: 'Node',
    events: 'Event',
  },
  'security.istio.io': {
    requestauthentications: 'RequestAuthentication',
    authorizationpolicies: 'AuthorizationPolicy',
    peerauthentications: 'PeerAuthentication',
  },
  'authentication.istio.io': { policies: 'Policy', meshpolicies: 'MeshPolicy' },
  'networking.istio.io': {
    virtualservices: 'VirtualService',
    destinationrules: 'DestinationRule',
    gateways: 'Gateway',
    serviceentries: 'ServiceEntry',
    sidecars: 'Sidecar',
    workloadentries: 'WorkloadEntry',
    envoyfilters: 'EnvoyFilter',
  },
  'rbac.istio.io': { clusterrbacconfigs: 'ClusterRbacConfig', servicerolebindings: 'ServiceRoleBinding', serviceroles: 'ServiceRole' },
  'gateway.networking.k8s.io': { gateways: 'Gateway', httproutes: 'HTTPRoute', grpcroutes: 'GRPCRoute' },
};

const CLUSTER_SCOPED_KINDS = new Set([
  'Namespace',
  'Node',
  'MeshPolicy',
  'ClusterRbacConfig',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'PersistentVolume',
  'StorageClass',
]);

/** Plural of a kind as the API path has it: lowercase + 's', consonant+y -> ies (Policy -> policies). */
export function pluralOf(kind: string): string {
  const lower = kind.toLowerCase();
  if (lower === 'endpoints') return lower;
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  if (/(s|x|ch|sh)$/.test(lower)) return `${lower}es`;
  return `${lower}s`;
}

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

interface StoredObject {
  object: KubeObject;
  group: string;
  version: string;
  kind: string;
  plural: string;
  /** undefined for cluster-scoped kinds. */
  namespace: string | undefined;
  name: string;
}

interface Index {
  fixture: KubeFixture;
  stored: StoredObject[];
  served: Set<string>;
  /** group -> plural -> Kind */
  kinds: Map<string, Map<string, string>>;
  resourceVersion: string;
}

let fixtureGeneration = 1000;

function buildIndex(fixture: KubeFixture): Index {
  const stored: StoredObject[] = [];
  const kinds = new Map<string, Map<string, string>>();
  for (const [group, table] of Object.entries(KNOWN_KINDS)) kinds.set(group, new Map(Object.entries(table)));
  const groupVersions = new Set<string>();
  const namespacesInUse = new Set<string>();
  for (const object of fixture.objects) {
    if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string') continue;
    const name = object.metadata?.name;
    if (typeof name !== 'string') continue;
    const { group, version } = splitApiVersion(object.apiVersion);
    const plural = pluralOf(object.kind);
    const clusterScoped = CLUSTER_SCOPED_KINDS.has(object.kind);
    const namespace = clusterScoped ? undefined : (object.metadata?.namespace ?? 'default');
    if (namespace !== undefined) namespacesInUse.add(namespace);
    if (group !== '') groupVersions.add(`${group}/${version}`);
    let table = kinds.get(group);
    if (table === undefined) kinds.set(group, (table = new Map()));
    if (!table.has(plural)) table.set(plural, object.kind);
    stored.push({ object, group, version, kind: object.kind, plural, namespace, name });
  }
  for (const ns of namespacesInUse) {
    const exists = stored.some((s) => s.group === '' && s.kind === 'Namespace' && s.name === ns);
    if (!exists) {
      stored.push({
        object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns }, status: { phase: 'Active' } },
        group: '',
        version: 'v1',
        kind: 'Namespace',
        plural: 'namespaces',
        namespace: undefined,
        name: ns,
      });
    }
  }
  const served = new Set(fixture.servedGroups ?? [...groupVersions, ...DEFAULT_SERVED_GROUPS]);
  fixtureGeneration += 1;
  return { fixture, stored, served, kinds, resourceVersion: String(fixtureGeneration) };
}

// ---------------------------------------------------------------- selectors

interface Requirement {
  key: string;
  op: 'eq' | 'neq' | 'in' | 'notin' | 'exists' | 'notexists';
  values: string[];
}

class SelectorError extends Error {}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth += 1;
    if (ch === ')') depth -= 1;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

const KEY = String.raw`[A-Za-z0-9][-A-Za-z0-9_./]*`;

/** Kubernetes label selector syntax: =, ==, !=, in, notin, key, !key, comma = AND. */
export function parseLabelSelector(selector: string): Requirement[] {
  return splitTopLevel(selector).map((term) => {
    let m = new RegExp(`^!\\s*(${KEY})$`).exec(term);
    if (m?.[1] !== undefined) return { key: m[1], op: 'notexists', values: [] };
    m = new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^)]*)\\)$`).exec(term);
    if (m?.[1] !== undefined && m[3] !== undefined) {
      const values = m[3].split(',').map((v) => v.trim()).filter((v) => v !== '');
      return { key: m[1], op: m[2] === 'in' ? 'in' : 'notin', values };
    }
    m = new RegExp(`^(${KEY})\\s*(==|!=|=)\\s*([-A-Za-z0-9_.]*)$`).exec(term);
    if (m?.[1] !== undefined && m[3] !== undefined) return { key: m[1], op: m[2] === '!=' ? 'neq' : 'eq', values: [m[3]] };
    m = new RegExp(`^(${KEY})$`).exec(term);
    if (m?.[1] !== undefined) return { key: m[1], op: 'exists', values: [] };
    throw new SelectorError(`unable to parse requirement: found '${term}', expected: in, notin, =, ==, !=, gt, lt`);
  });
}

export function matchesLabelSelector(labels: Record<string, string> | undefined, selector: string): boolean {
  const have = labels ?? {};
  return parseLabelSelector(selector).every(({ key, op, values }) => {
    const value = Object.prototype.hasOwnProperty.call(have, key) ? have[key] : undefined;
    switch (op) {
      case 'eq':
      case 'in':
        return value !== undefined && values.includes(value);
      case 'neq':
      case 'notin':
        return value === undefined || !values.includes(value);
      case 'exists':
        return value !== undefined;
      case 'notexists':
        return value === undefined;
    }
  });
}

function fieldValue(object: KubeObject, path: string): string {
  let cursor: unknown = object;
  for (const part of path.split('.')) {
    if (cursor === null || typeof cursor !== 'object') return '';
    cursor = (cursor as Record<string, unknown>)[part];
  }
  return cursor === undefined || cursor === null ? '' : String(cursor);
}

function matchesFieldSelector(object: KubeObject, selector: string): boolean {
  return splitTopLevel(selector).every((term) => {
    const m = /^([A-Za-z0-9_.]+)\s*(==|!=|=)\s*(.*)$/.exec(term);
    if (m?.[1] === undefined || m[3] === undefined) throw new SelectorError(`invalid selector: '${term}'; can't understand '${term}'`);
    const actual = fieldValue(object, m[1]);
    return m[2] === '!=' ? actual !== m[3] : actual === m[3];
  });
}

// ---------------------------------------------------------------- responses

interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  details?: Record<string, unknown>;
  code: number;
}

function status(code: number, reason: string, message: string, details?: Record<string, unknown>): Status {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details === undefined ? {} : { details }),
    code,
  };
}

interface ParsedRequest {
  verb: KubeVerb;
  group: string;
  version: string;
  plural: string;
  subresource: string | undefined;
  name: string | undefined;
  /** namespace from the path (for `get namespaces foo`, foo). */
  namespace: string | undefined;
  /** true when the path has /namespaces/{ns}/ before the plural. */
  namespacedPath: boolean;
}

function verbOf(method: string, hasName: boolean, query: Record<string, string>): KubeVerb {
  switch (method) {
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return 'delete';
    default:
      if (hasName) return 'get';
      return query['watch'] === 'true' || query['watch'] === '1' ? 'watch' : 'list';
  }
}

/** undefined: not a resource path (discovery, /version, garbage). */
function parseResourcePath(method: string, segments: string[], query: Record<string, string>): ParsedRequest | undefined {
  let group: string;
  let version: string;
  let rest: string[];
  if (segments[0] === 'api' && segments[1] !== undefined) {
    group = '';
    version = segments[1];
    rest = segments.slice(2);
  } else if (segments[0] === 'apis' && segments[1] !== undefined && segments[2] !== undefined) {
    group = segments[1];
    version = segments[2];
    rest = segments.slice(3);
  } else return undefined;
  if (rest.length === 0) return undefined;

  let namespace: string | undefined;
  let namespacedPath = false;
  let plural: string;
  let name: string | undefined;
  let subresource: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    namespacedPath = true;
    plural = rest[2] as string;
    name = rest[3];
    subresource = rest[4];
  } else {
    plural = rest[0] as string;
    name = rest[1];
    subresource = rest[2];
    // RBAC treats a namespace's own name as its namespace.
    if (group === '' && plural === 'namespaces' && name !== undefined) namespace = name;
  }
  return {
    verb: verbOf(method, name !== undefined, query),
    group,
    version,
    plural,
    subresource,
    name,
    namespace,
    namespacedPath,
  };
}

function resourceName(parsed: ParsedRequest): string {
  const base = parsed.group === '' ? parsed.plural : `${parsed.plural}.${parsed.group}`;
  return parsed.subresource === undefined ? base : `${base}/${parsed.subresource}`;
}

function matchesPattern(pattern: string, entry: RecordedKubeRequest): boolean {
  const [verb, resource, namespace] = pattern.trim().split(/\s+/);
  return (
    (verb === '*' || verb === entry.verb) &&
    (resource === '*' || resource === entry.resource) &&
    (namespace === undefined || namespace === '*' || namespace === entry.namespace)
  );
}

function forbiddenStatus(parsed: ParsedRequest): Status {
  const qualified = parsed.group === '' ? parsed.plural : `${parsed.plural}.${parsed.group}`;
  const subject = parsed.name === undefined ? `${qualified} is forbidden` : `${qualified} "${parsed.name}" is forbidden`;
  const resource = parsed.subresource === undefined ? parsed.plural : `${parsed.plural}/${parsed.subresource}`;
  const scope = parsed.namespace === undefined ? 'at the cluster scope' : `in the namespace "${parsed.namespace}"`;
  const message = `${subject}: User "${KUBE_TEST_USER}" cannot ${parsed.verb} resource "${resource}" in API group "${parsed.group}" ${scope}`;
  return status(403, 'Forbidden', message, {
    ...(parsed.name === undefined ? {} : { name: parsed.name }),
    ...(parsed.group === '' ? {} : { group: parsed.group }),
    kind: parsed.plural,
  });
}

function notFoundStatus(parsed: ParsedRequest, name: string): Status {
  const qualified = parsed.group === '' ? parsed.plural : `${parsed.plural}.${parsed.group}`;
  return status(404, 'NotFound', `${qualified} "${name}" not found`, {
    name,
    ...(parsed.group === '' ? {} : { group: parsed.group }),
    kind: parsed.plural,
  });
}

/** Applies tailLines then limitBytes, as the kubelet does. */
export function tailLog(text: string, tailLines?: number, limitBytes?: number): string {
  let out = text;
  if (tailLines !== undefined && Number.isFinite(tailLines) && tailLines >= 0) {
    const lines = out.split('\n');
    const trailingNewline = out.endsWith('\n');
    if (trailingNewline) lines.pop();
    const kept = tailLines === 0 ? [] : lines.slice(-tailLines);
    out = kept.length === 0 ? '' : kept.join('\n') + (trailingNewline ? '\n' : '');
  }
  if (limitBytes !== undefined && Number.isFinite(limitBytes) && limitBytes >= 0) {
    const buf = Buffer.from(out, 'utf8');
    if (buf.length > limitBytes) out = buf.subarray(0, limitBytes).toString('utf8');
  }
  return out;
}

function containerNames(pod: KubeObject, field: 'containers' | 'initContainers'): string[] {
  const list = pod.spec?.[field];
  if (!Array.isArray(list)) return [];
  return list
    .map((c: unknown) => (c !== null && typeof c === 'object' ? (c as { name?: unknown }).name : undefined))
    .filter((n): n is string => typeof n === 'string');
}

// ---------------------------------------------------------------- server

interface Reply {
  status: number;
  body: string;
  contentType: string;
  headers?: Record<string, string>;
}

const json = (code: number, value: unknown): Reply => ({
  status: code,
  body: JSON.stringify(value),
  contentType: 'application/json',
});
const pageNotFound = (): Reply => ({ status: 404, body: '404 page not found\n', contentType: 'text/plain; charset=utf-8' });

function kubeconfigFor(url: string, ca?: string): string {
  const trust = ca !== undefined ? `    certificate-authority-data: ${Buffer.from(ca).toString('base64')}` : '    insecure-skip-tls-verify: true';
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: test',
    '  cluster:',
    `    server: ${url}`,
    trust,
    'users:',
    '- name: test',
    '  user:',
    `    token: ${KUBE_TEST_TOKEN}`,
    'contexts:',
    '- name: test',
    '  context:',
    '    cluster: test',
    '    user: test',
    '    namespace: default',
    'current-context: test',
    '',
  ].join('\n');
}

export async function startKubeApiServer(initial: KubeFixture, options: KubeServerOptions = {}): Promise<KubeApiServer> {
  let index = buildIndex(initial);
  const requests: RecordedKubeRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let closing = false;

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  function list(parsed: ParsedRequest, query: Record<string, string>): Reply {
    const kind = index.kinds.get(parsed.group)?.get(parsed.plural) ?? 'Unknown';
    const apiVersion = parsed.group === '' ? parsed.version : `${parsed.group}/${parsed.version}`;
    let items = index.stored.filter(
      (s) =>
        s.group === parsed.group &&
        s.plural === parsed.plural &&
        (!parsed.namespacedPath || s.namespace === parsed.namespace),
    );
    try {
      const labelSelector = query['labelSelector'];
      if (labelSelector !== undefined && labelSelector !== '') {
        items = items.filter((s) => matchesLabelSelector(s.object.metadata?.labels, labelSelector));
      }
      const fieldSelector = query['fieldSelector'];
      if (fieldSelector !== undefined && fieldSelector !== '') {
        items = items.filter((s) => matchesFieldSelector(s.object, fieldSelector));
      }
    } catch (err) {
      if (err instanceof SelectorError) return json(400, status(400, 'BadRequest', err.message));
      throw err;
    }
    items.sort((a, b) => `${a.namespace ?? ''}/${a.name}`.localeCompare(`${b.namespace ?? ''}/${b.name}`));
    const offset = query['continue'] !== undefined ? Number(Buffer.from(query['continue'], 'base64url').toString()) || 0 : 0;
    const limit = query['limit'] !== undefined ? Number(query['limit']) : 0;
    let page = items.slice(offset);
    const metadata: Record<string, unknown> = { resourceVersion: index.resourceVersion };
    if (limit > 0 && page.length > limit) {
      metadata['continue'] = Buffer.from(String(offset + limit)).toString('base64url');
      metadata['remainingItemCount'] = page.length - limit;
      page = page.slice(0, limit);
    }
    return json(200, {
      apiVersion,
      kind: `${kind}List`,
      metadata,
      items: page.map((s) => ({ ...structuredClone(s.object), apiVersion })),
    });
  }

  function find(parsed: ParsedRequest, name: string): StoredObject | undefined {
    return index.stored.find(
      (s) =>
        s.group === parsed.group &&
        s.plural === parsed.plural &&
        s.name === name &&
        (parsed.namespacedPath ? s.namespace === parsed.namespace : s.namespace === undefined),
    );
  }

  function podLog(parsed: ParsedRequest, pod: StoredObject, query: Record<string, string>): Reply {
    const containers = containerNames(pod.object, 'containers');
    const inits = containerNames(pod.object, 'initContainers');
    let container = query['container'];
    if (container === undefined || container === '') {
      if (containers.length === 1 && containers[0] !== undefined) container = containers[0];
      else {
        const initPart = inits.length > 0 ? ` or one of the init containers: [${inits.join(' ')}]` : '';
        return json(
          400,
          status(400, 'BadRequest', `a container name must be specified for pod ${pod.name}, choose one of: [${containers.join(' ')}]${initPart}`),
        );
      }
    }
    if (!containers.includes(container) && !inits.includes(container)) {
      return json(400, status(400, 'BadRequest', `container ${container} is not valid for pod ${pod.name}`));
    }
    const previous = query['previous'] === 'true';
    const key = `${parsed.namespace ?? ''}/${pod.name}/${container}${previous ? '#previous' : ''}`;
    const text = index.fixture.logs?.[key];
    if (previous && text === undefined) {
      return json(400, status(400, 'BadRequest', `previous terminated container "${container}" in pod "${pod.name}" not found`));
    }
    const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));
    return {
      status: 200,
      body: tailLog(text ?? '', num(query['tailLines']), num(query['limitBytes'])),
      contentType: 'text/plain',
    };
  }

  function nonResource(segments: string[]): Reply {
    const path = segments.join('/');
    if (path === 'version') {
      return json(200, { major: '1', minor: '30', gitVersion: 'v1.30.0', platform: 'linux/amd64' });
    }
    if (path === 'api') return json(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
    if (path === 'apis') {
      const groups = new Map<string, string[]>();
      for (const gv of index.served) {
        const { group, version } = splitApiVersion(gv);
        groups.set(group, [...(groups.get(group) ?? []), version]);
      }
      return json(200, {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: [...groups].map(([name, versions]) => ({
          name,
          versions: versions.map((version) => ({ groupVersion: `${name}/${version}`, version })),
          preferredVersion: { groupVersion: `${name}/${versions[0] ?? ''}`, version: versions[0] ?? '' },
        })),
      });
    }
    const gv = segments[0] === 'api' && segments.length === 2 ? 'v1' : segments[0] === 'apis' && segments.length === 3 ? `${segments[1]}/${segments[2]}` : undefined;
    if (gv !== undefined && (gv === 'v1' || index.served.has(gv))) {
      const { group } = splitApiVersion(gv);
      const table = index.kinds.get(group === 'v1' ? '' : group) ?? new Map<string, string>();
      return json(200, {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: gv,
        resources: [...table].map(([plural, kind]) => ({
          name: plural,
          singularName: kind.toLowerCase(),
          namespaced: !CLUSTER_SCOPED_KINDS.has(kind),
          kind,
          verbs: ['get', 'list', 'watch'],
        })),
      });
    }
    return pageNotFound();
  }

  function route(method: string, segments: string[], query: Record<string, string>, entry: RecordedKubeRequest, parsed: ParsedRequest | undefined): Reply | 'hang' {
    if (parsed === undefined) return nonResource(segments);
    for (const pattern of index.fixture.forbidden ?? []) {
      if (matchesPattern(pattern, entry)) return json(403, forbiddenStatus(parsed));
    }
    for (const failure of index.fixture.failing ?? []) {
      if (!matchesPattern(failure.pattern, entry)) continue;
      if (failure.status === 'hang') return 'hang';
      return json(
        500,
        status(500, 'InternalError', 'Internal error occurred: injected failure (fake API server)', {
          causes: [{ message: 'injected failure (fake API server)' }],
        }),
      );
    }
    const served = parsed.group === '' ? parsed.version === 'v1' : index.served.has(`${parsed.group}/${parsed.version}`);
    if (!served) return pageNotFound();
    const kind = index.kinds.get(parsed.group)?.get(parsed.plural);
    if (kind === undefined) return pageNotFound();
    const clusterScoped = CLUSTER_SCOPED_KINDS.has(kind);
    if (clusterScoped && parsed.namespacedPath) return pageNotFound();
    if (!clusterScoped && !parsed.namespacedPath && parsed.name !== undefined) return pageNotFound();
    if (parsed.subresource !== undefined && !(parsed.plural === 'pods' && parsed.group === '' && parsed.subresource === 'log')) {
      return pageNotFound();
    }
    if (method !== 'GET') {
      return json(405, status(405, 'MethodNotAllowed', `the fake API server is read-only: ${parsed.verb} is not supported`));
    }
    if (parsed.verb === 'watch') {
      return json(405, status(405, 'MethodNotAllowed', 'the fake API server does not support watch'));
    }
    if (parsed.name === undefined) return list(parsed, query);
    const found = find(parsed, parsed.name);
    if (found === undefined) return json(404, notFoundStatus(parsed, parsed.name));
    if (parsed.subresource === 'log') return podLog(parsed, found, query);
    const apiVersion = parsed.group === '' ? parsed.version : `${parsed.group}/${parsed.version}`;
    return json(200, { ...structuredClone(found.object), apiVersion });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const segments = url.pathname.split('/').filter((s) => s !== '').map(decodeURIComponent);
    const parsed = parseResourcePath(method, segments, query);
    const entry: RecordedKubeRequest = {
      method,
      path: url.pathname,
      query,
      verb: parsed?.verb ?? 'get',
      resource: parsed === undefined ? '' : resourceName(parsed),
      apiGroup: parsed?.group ?? '',
      ...(parsed?.namespace === undefined ? {} : { namespace: parsed.namespace }),
      status: 0,
      bytes: 0,
    };
    requests.push(entry);
    // Drain any body so keep-alive connections stay usable.
    req.resume();

    const latency = index.fixture.latencyMs ?? 0;
    if (latency > 0) await sleep(latency);
    if (closing) return;

    let reply: Reply | 'hang';
    if (req.headers.authorization === undefined) {
      reply = json(401, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
    } else {
      reply = route(method, segments, query, entry, parsed);
    }
    if (reply === 'hang') return; // answered never; close() destroys the socket
    const bytes = Buffer.byteLength(reply.body);
    entry.status = reply.status;
    entry.bytes = bytes;
    res.writeHead(reply.status, { 'Content-Type': reply.contentType, 'Content-Length': String(bytes), ...reply.headers });
    res.end(reply.body);
  }

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(`fake API server bug: ${String(err)}`);
      }
    });
  };
  const server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, listener) : createServer(listener);
  let connections = 0;
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const kubeconfigYaml = kubeconfigFor(url, options.tls?.cert);

  return {
    url,
    kubeconfigYaml,
    requests,
    connections: () => connections,
    writeKubeconfig(dir: string): string {
      const file = join(dir, `kubeconfig-${port}.yaml`);
      writeFileSync(file, kubeconfigYaml, { mode: 0o600 });
      return file;
    },
    setFixture(fixture: KubeFixture): void {
      index = buildIndex(fixture);
    },
    async close(): Promise<void> {
      closing = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** Multi-document YAML files -> objects; empty documents skipped, `kind: List` unwrapped. */
export function loadObjects(...yamlFiles: string[]): KubeObject[] {
  const out: KubeObject[] = [];
  for (const file of yamlFiles) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
      const value: unknown = doc.toJS();
      if (value === null || typeof value !== 'object' || Array.isArray(value)) continue;
      const object = value as KubeObject;
      if (typeof object.kind === 'string' && object.kind.endsWith('List') && Array.isArray(object['items'])) {
        for (const item of object['items'] as unknown[]) {
          if (item !== null && typeof item === 'object') out.push(item as KubeObject);
        }
      } else out.push(object);
    }
  }
  return out;
}
