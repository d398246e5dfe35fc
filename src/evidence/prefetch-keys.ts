/**
 * Starts the issuer fetches that are sure to be needed before the policies are fully judged.
 * Judging needs the pod list, which waits for the Service; without this, discovery → JWKS would start
 * only after Service → pods, making the chain one hop longer than it has to be (bench: diagnosis time).
 * A RequestAuthentication whose selector is part of the Service's selector (or that has none, and no
 * targetRefs) selects every pod behind the Service, whatever extra labels the pods carry, so its key
 * URLs are certain to be fetched. The fetcher caches per URL, so the later, exact path reuses these.
 * Only URLs named by the policies are fetched (DESIGN §8); failures are left for that exact path.
 */
import { asArray, asRecord, asString, field } from '../istio/kube-objects.js';
import { discoveryUrlFor } from '../istio/oidc-discovery.js';
import type { DocumentFetcher } from '../model/document-fetcher.js';
import type { KubeObject, Labels } from '../model/index.js';

export function prefetchLikelyKeys(serviceSelector: Labels | undefined, requestAuthentications: KubeObject[], fetcher: DocumentFetcher): void {
  if (!serviceSelector || Object.keys(serviceSelector).length === 0) return;
  for (const ra of requestAuthentications) {
    const spec = asRecord(ra.spec);
    if (!spec || !selectsEveryPodOf(spec, serviceSelector)) continue;
    for (const rule of asArray(field(spec, 'jwtRules', 'jwt_rules')) ?? []) {
      const r = asRecord(rule);
      if (!r || field(r, 'jwks') !== undefined) continue;
      const jwksUri = asString(field(r, 'jwksUri', 'jwks_uri'));
      const issuer = asString(r['issuer']);
      if (jwksUri) ignore(fetcher.fetch(jwksUri));
      else if (issuer && /^https?:\/\//i.test(issuer)) ignore(fetchViaDiscovery(issuer, fetcher));
    }
  }
}

function selectsEveryPodOf(spec: Record<string, unknown>, serviceSelector: Labels): boolean {
  if (field(spec, 'targetRef', 'targetRefs', 'target_refs') !== undefined) return false;
  const matchLabels = asRecord(asRecord(spec['selector'])?.['matchLabels']) ?? {};
  return Object.entries(matchLabels).every(([k, v]) => serviceSelector[k] === v);
}

async function fetchViaDiscovery(issuer: string, fetcher: DocumentFetcher): Promise<void> {
  const doc = await fetcher.fetch(discoveryUrlFor(issuer));
  if (doc.status !== 200) return;
  const jwksUri = (JSON.parse(doc.body) as Record<string, unknown>)['jwks_uri'];
  if (typeof jwksUri === 'string') await fetcher.fetch(jwksUri);
}

function ignore(promise: Promise<unknown>): void {
  promise.catch(() => undefined);
}
