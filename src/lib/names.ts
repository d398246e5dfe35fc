/**
 * The one rule for the names people type and the queue carries: Service and namespace names (Kubernetes
 * DNS-1123 labels) and cluster labels (`--cluster`, `JWTCHECK_CLUSTER`, the queue `jwtcheck:<cluster>`).
 * The Slack parser, the CLI, the job validation and the worker's configuration all ask this module, so a
 * name one of them accepts is never refused by another.
 */

export const DEFAULT_CLUSTER = 'default';

// DNS-1123 label: what Kubernetes accepts for Service and namespace names.
const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const MAX_LABEL = 63;
// A cluster label becomes a BullMQ queue name and is often a kube context name: no ':' (BullMQ refuses it
// in queue names), no spaces; '.', '_' and upper case are common in context names (e.g. "Prod_EU").
const CLUSTER_NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;

export const NAME_RULE = "DNS-1123 label: lower-case letters, digits and '-', at most 63";
export const CLUSTER_RULE = "letters, digits, '.', '_' and '-', at most 63";

export function isValidName(name: string): boolean {
  return name.length <= MAX_LABEL && DNS_1123_LABEL.test(name);
}

export function isValidCluster(name: string): boolean {
  return CLUSTER_NAME.test(name);
}

/**
 * One word naming both the Service and its namespace, as kubectl users write it: `httpbin.foo`,
 * `foo/httpbin`, or the DNS form `httpbin.foo.svc[.cluster.local]` copied from configs. undefined when the
 * word is not one of these shapes (the names themselves are checked by isValidName).
 */
export function splitQualifiedName(word: string): { service: string; namespace: string } | undefined {
  const slash = word.split('/');
  if (slash.length === 2) return { namespace: slash[0] ?? '', service: slash[1] ?? '' };
  const dot = word.split('.');
  if (dot.length === 2 || (dot.length >= 3 && dot[2] === 'svc')) return { service: dot[0] ?? '', namespace: dot[1] ?? '' };
  return undefined;
}

/** A Slack channel id as alerts name it (label `jwtcheck_channel`, JWTCHECK_ALERT_CHANNEL): public C…, private G…. */
export function isSlackChannelId(id: string): boolean {
  return /^[CG][A-Z0-9]{2,40}$/.test(id);
}
