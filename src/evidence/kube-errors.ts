import { ApiException } from '@kubernetes/client-node';
import { JwtcheckError } from '../errors.js';
import { maskSecrets } from '../lib/logger.js';
import { causeChain, classifyNetworkCode, rootCause } from '../lib/network-errors.js';
import type { NetworkFailure } from '../lib/network-errors.js';
import { formatSeconds } from '../lib/time-words.js';

/**
 * Turns what @kubernetes/client-node throws into JwtcheckErrors a user can act on. The client throws
 * `ApiException` (`.code` = HTTP status, `.body` = raw response text) for answers, a DOMException
 * TimeoutError/AbortError when our per-request signal fires, and `TypeError('fetch failed')` with a
 * coded `cause` when no answer came at all (STACK §3).
 */

/** The request being made, so a refusal can name exactly what to grant even without a Status body. */
export interface KubeCall {
  verb: 'get' | 'list';
  /** As RBAC names it: 'services', 'pods/log', 'requestauthentications.security.istio.io'. */
  resource: string;
  namespace?: string;
  name?: string;
}

/** Where the request went: shown in unreachable/timeout sentences. */
export interface KubeEndpoint {
  server: string;
  context: string;
  timeoutMs: number;
}

export function isApiStatus(err: unknown, code: number): boolean {
  return err instanceof ApiException && err.code === code;
}

export function toKubeError(err: unknown, call: KubeCall, endpoint: KubeEndpoint): JwtcheckError {
  if (err instanceof JwtcheckError) return err;
  if (err instanceof ApiException) return fromStatus(err.code, statusOf(err.body), call, endpoint, err);
  if (isTimeout(err)) {
    return new JwtcheckError(
      'timeout',
      `The Kubernetes API at ${endpoint.server} did not answer within ${formatSeconds(endpoint.timeoutMs)} (${describeCall(call)}): check the cluster's health and your network, then try again.`,
      { cause: err },
    );
  }
  const code = rootCause(err)?.code;
  const reason = code === undefined ? undefined : unreachableReason(classifyNetworkCode(code), code);
  if (reason !== undefined) {
    return new JwtcheckError(
      'unreachable',
      `Cannot reach the Kubernetes API at ${endpoint.server} (kube context "${endpoint.context}"): ${reason}. Check that the cluster is up and that this is the context you meant (kubectl --context ${endpoint.context} get ns).`,
      { cause: err },
    );
  }
  const text = typeof (err as { message?: unknown })?.message === 'string' ? (err as { message: string }).message : String(err);
  return new JwtcheckError(
    'unreachable',
    `Could not query the Kubernetes API at ${endpoint.server} (kube context "${endpoint.context}"): ${maskSecrets(text)}. Check the cluster and user entries of that context in your kubeconfig.`,
    { cause: err },
  );
}

interface KubeStatus {
  message?: string;
  reason?: string;
}

/** `.body` is the raw text (a JSON Status, or e.g. "404 page not found" for an unserved group). */
function statusOf(body: unknown): KubeStatus {
  if (typeof body === 'object' && body !== null) return body as KubeStatus;
  if (typeof body !== 'string') return {};
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null ? (parsed as KubeStatus) : {};
  } catch {
    return { message: body.trim() };
  }
}

function fromStatus(code: number, status: KubeStatus, call: KubeCall, endpoint: KubeEndpoint, err: unknown): JwtcheckError {
  if (code === 403) return new JwtcheckError('forbidden', forbiddenSentence(status.message, call), { cause: err });
  if (code === 401) {
    const ns = call.namespace ?? 'default';
    return new JwtcheckError(
      'forbidden',
      `The Kubernetes API at ${endpoint.server} rejected jwtcheck's credentials (kube context "${endpoint.context}", 401 Unauthorized): run kubectl get pods -n ${ns} to refresh your login, or renew the service account token.`,
      { cause: err },
    );
  }
  const said = status.message !== undefined && status.message !== '' ? `: ${maskSecrets(status.message)}` : '';
  if (code === 404) {
    return new JwtcheckError('not-found', `The Kubernetes API found nothing for ${describeCall(call)}${said}.`, { cause: err });
  }
  const advice =
    code >= 500
      ? "try again; if it persists, check the API server's health (kubectl get --raw /readyz?verbose)"
      : code === 429
        ? 'the API server is throttling requests; try again in a minute'
        : 'this is unexpected; report it with the command you ran';
  return new JwtcheckError(
    'http-status',
    `The Kubernetes API at ${endpoint.server} answered ${code} to ${describeCall(call)}${said}; ${advice}.`,
    { cause: err },
  );
}

// e.g. `pods is forbidden: User "system:serviceaccount:jwtcheck:jwtcheck" cannot list resource "pods" in API group "" in the namespace "foo"`
const FORBIDDEN_MESSAGE =
  /User "([^"]*)" cannot (\w+) resource "([^"]+)" in API group "([^"]*)"(?: in the namespace "([^"]+)"| at the cluster scope)?/;

/**
 * "jwtcheck may not list requestauthentications.security.istio.io in namespace foo: grant get/list on
 * it to the service account (manifests/ClusterRole)." Facts come from the Status message when it has
 * them (it names the identity), else from the call we made.
 */
export function forbiddenSentence(message: string | undefined, call: KubeCall): string {
  const match = message === undefined ? null : FORBIDDEN_MESSAGE.exec(message);
  let user: string | undefined;
  let verb: string = call.verb;
  let resource = call.resource;
  let namespace = call.namespace;
  if (match) {
    const [, who, v, res = '', group = '', ns] = match;
    user = who;
    verb = v ?? verb;
    resource = group === '' ? res : qualify(res, group);
    namespace = ns;
  }
  const where = namespace === undefined ? 'at cluster scope' : `in namespace ${namespace}`;
  const grant = resource.endsWith('/log') ? 'get' : 'get/list';
  const to =
    user === undefined
      ? 'the service account'
      : user.startsWith('system:serviceaccount:')
        ? `the service account ${user}`
        : `your user ${user} (or use a kube context that has it)`;
  return `jwtcheck may not ${verb} ${resource} ${where}: grant ${grant} on it to ${to} (manifests/ClusterRole).`;
}

/** pods/log + '' -> pods/log; requestauthentications + security.istio.io -> requestauthentications.security.istio.io */
function qualify(resource: string, group: string): string {
  const slash = resource.indexOf('/');
  return slash < 0 ? `${resource}.${group}` : `${resource.slice(0, slash)}.${group}${resource.slice(slash)}`;
}

export function describeCall(call: KubeCall): string {
  const what = call.name === undefined ? call.resource : `${call.resource} ${call.name}`;
  const where = call.namespace === undefined ? '' : ` in namespace ${call.namespace}`;
  return `${call.verb} ${what}${where}`;
}

export function isTimeout(err: unknown): boolean {
  return causeChain(err).some(
    (e) =>
      e.name === 'TimeoutError' ||
      e.name === 'AbortError' ||
      e.code === 'UND_ERR_HEADERS_TIMEOUT' ||
      e.code === 'UND_ERR_BODY_TIMEOUT',
  );
}

/** The failure in words for someone fixing a kubeconfig; undefined for codes that are not a network failure. */
function unreachableReason(failure: NetworkFailure | undefined, code: string): string | undefined {
  switch (failure) {
    case 'refused':
      return 'the connection was refused (nothing listens at that address)';
    case 'dns':
      return `the server name does not resolve (${code})`;
    case 'timeout':
      return 'the connection timed out';
    case 'no-route':
      return `no route to the server (${code}); a VPN may be needed`;
    case 'reset':
      return 'the connection was reset';
    case 'tls-untrusted':
      return `the server's certificate is not trusted (${code}); check certificate-authority-data for this cluster in your kubeconfig`;
    case 'tls-expired':
      return "the server's certificate has expired";
    case 'tls-name':
      return "the server's certificate does not name that host";
    case 'tls-handshake':
      return `the TLS handshake failed (${code})`;
    case undefined:
      return undefined;
  }
}
