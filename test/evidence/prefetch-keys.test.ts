import type { DocumentFetcher } from '../../src/model/document-fetcher.js';
import type { FetchedDocument, KubeObject } from '../../src/model/index.js';
import { prefetchLikelyKeys } from '../../src/evidence/prefetch-keys.js';

function recordingFetcher(answers: Record<string, unknown> = {}): DocumentFetcher & { urls: string[] } {
  const urls: string[] = [];
  return {
    urls,
    async fetch(url: string): Promise<FetchedDocument> {
      urls.push(url);
      const body = answers[url];
      return body === undefined
        ? { url, finalUrl: url, status: 404, body: 'not found' }
        : { url, finalUrl: url, status: 200, contentType: 'application/json', body: JSON.stringify(body) };
    },
  };
}

const ra = (name: string, spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'security.istio.io/v1',
  kind: 'RequestAuthentication',
  metadata: { name, namespace: 'foo' },
  spec,
});
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('prefetchLikelyKeys', () => {
  it('fetches the keys of rules whose selector is part of the Service selector, and only those', async () => {
    const fetcher = recordingFetcher();
    prefetchLikelyKeys({ app: 'httpbin' }, [
      ra('exact', { selector: { matchLabels: { app: 'httpbin' } }, jwtRules: [{ issuer: 'https://a.example', jwksUri: 'https://a.example/keys' }] }),
      ra('namespace-wide', { jwtRules: [{ issuer: 'https://b.example', jwks_uri: 'https://b.example/keys' }] }),
      ra('other-app', { selector: { matchLabels: { app: 'reviews' } }, jwtRules: [{ issuer: 'https://c.example', jwksUri: 'https://c.example/keys' }] }),
      ra('extra-label', { selector: { matchLabels: { app: 'httpbin', version: 'v2' } }, jwtRules: [{ jwksUri: 'https://d.example/keys' }] }),
      ra('waypoint', { targetRefs: [{ kind: 'Service', name: 'httpbin' }], jwtRules: [{ jwksUri: 'https://e.example/keys' }] }),
      ra('inline', { jwtRules: [{ issuer: 'https://f.example', jwks: '{"keys":[]}' }] }),
    ], fetcher);
    await settle();
    expect(fetcher.urls.sort()).toEqual(['https://a.example/keys', 'https://b.example/keys']);
  });

  it('follows discovery to jwks_uri for rules without jwksUri, and never fetches a non-URL issuer', async () => {
    const fetcher = recordingFetcher({
      'https://idp.example/realms/demo/.well-known/openid-configuration': { issuer: 'https://idp.example/realms/demo', jwks_uri: 'https://idp.example/realms/demo/certs' },
    });
    prefetchLikelyKeys({ app: 'httpbin' }, [
      ra('discovery', { jwtRules: [{ issuer: 'https://idp.example/realms/demo/' }] }),
      ra('email', { jwtRules: [{ issuer: 'testing@secure.istio.io' }] }),
    ], fetcher);
    await settle();
    expect(fetcher.urls).toEqual(['https://idp.example/realms/demo/.well-known/openid-configuration', 'https://idp.example/realms/demo/certs']);
  });

  it('does nothing for a Service without a selector', async () => {
    const fetcher = recordingFetcher();
    prefetchLikelyKeys(undefined, [ra('namespace-wide', { jwtRules: [{ jwksUri: 'https://b.example/keys' }] })], fetcher);
    await settle();
    expect(fetcher.urls).toEqual([]);
  });
});
