/** DESIGN §3: the check ids, in causal order. The order is part of the contract (report JSON, Slack thread). */
export const CHECK_IDS = [
  'workload.service',
  'workload.pods',
  'workload.sidecar',
  'workload.http-port',
  'policy.jwt-rules',
  'policy.legacy-api',
  'policy.principal-binding',
  'policy.require-token',
  'policy.token-location',
  'policy.conflicts',
  'issuer.url',
  'issuer.discovery',
  'issuer.jwks',
  'token.format',
  'token.issuer',
  'token.time',
  'token.audience',
  'token.signature',
  'token.authorization',
  'proxy.jwt-config',
  'proxy.responses',
  'istiod.jwks-fetch',
] as const;

export type CheckId = (typeof CHECK_IDS)[number];
