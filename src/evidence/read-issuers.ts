/**
 * Fills the `issuers` slot: for each applying JWT rule, the key set istiod would use (inline, jwksUri, or
 * discovery's jwks_uri), fetched only from URLs the cluster's policies name (DESIGN §8).
 */
import { summariseJwks } from '../istio/jwks-summary.js';
import { discoveryUrlFor } from '../istio/oidc-discovery.js';
import type { DocumentFetcher } from '../model/document-fetcher.js';
import { missing, present, type DiscoveryInfo, type IssuerEvidence, type JwtRule, type KeySetInfo, type Slot } from '../model/index.js';
import { settle } from './slots.js';

/** Where istiod would get this rule's keys, fetched the same way (DESIGN §8: only URLs named by policies). */
export async function issuerEvidence(rule: JwtRule, fetcher: DocumentFetcher): Promise<IssuerEvidence> {
  if (rule.jwks !== undefined) {
    return { ruleKey: rule.key, keySource: 'inline', keySet: parseKeySet(rule.jwks) };
  }
  if (rule.jwksUri) {
    return { ruleKey: rule.key, keySource: 'jwksUri', keySetUrl: rule.jwksUri, keySet: await fetchKeySet(rule.jwksUri, fetcher) };
  }
  if (!rule.issuer || !/^https?:\/\//i.test(rule.issuer)) {
    return { ruleKey: rule.key, keySource: 'none' };
  }
  const discovery = await fetchDiscovery(rule.issuer, fetcher);
  const jwksUri = discovery.ok && typeof discovery.value.document?.['jwks_uri'] === 'string' ? discovery.value.document['jwks_uri'] : undefined;
  if (!discovery.ok || discovery.value.status !== 200 || !jwksUri) {
    return { ruleKey: rule.key, discovery, keySource: 'none' };
  }
  return { ruleKey: rule.key, discovery, keySource: 'discovery', keySetUrl: jwksUri, keySet: await fetchKeySet(jwksUri, fetcher) };
}

async function fetchDiscovery(issuer: string, fetcher: DocumentFetcher): Promise<Slot<DiscoveryInfo>> {
  const url = discoveryUrlFor(issuer);
  return settle(async () => {
    const doc = await fetcher.fetch(url);
    const info: DiscoveryInfo = { url, status: doc.status, contentType: doc.contentType };
    if (doc.status !== 200) return info;
    const parsed = parseJsonObject(doc.body);
    if (parsed) return { ...info, document: parsed };
    const looksHtml = /^\s*</.test(doc.body) || /html/i.test(doc.contentType ?? '');
    return { ...info, problem: looksHtml ? 'the answer is an HTML page, not JSON (a login page or a proxy error?)' : 'the answer is not a JSON object' };
  });
}

async function fetchKeySet(url: string, fetcher: DocumentFetcher): Promise<Slot<KeySetInfo>> {
  const doc = await settle(() => fetcher.fetch(url));
  if (!doc.ok) return doc;
  if (doc.value.status !== 200) {
    return missing('http-status', `${url} answered HTTP ${doc.value.status} instead of a key set.`);
  }
  return parseKeySet(doc.value.body, url);
}

function parseKeySet(text: string, from?: string): Slot<KeySetInfo> {
  const summary = summariseJwks(text);
  if (summary.ok) return present(summary.value);
  return missing('invalid', `${from ? `The key set at ${from}` : 'The inline jwks'} is not usable: ${summary.message}.`);
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
