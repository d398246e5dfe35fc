/**
 * Hardening (issue 5, DESIGN §8) through the whole diagnosis: an issuer that never answers is an `error` within
 * the fetch timeout; a jwksUri at the cloud metadata address, or one that redirects there, is refused before any
 * connection to it; a 5 MB key set is cut off at the 1 MiB cap.
 */
import { diagnose } from '../../src/diagnose.js';
import type { Report } from '../../src/engine/report.js';
import { FETCH_MAX_BYTES, GuardedFetcher } from '../../src/evidence/guarded-fetch.js';
import { LiveClusterSource } from '../../src/evidence/kube-live.js';
import { startKubeApiServer } from '../support/kube-api-server.js';
import type { KubeApiServer } from '../support/kube-api-server.js';
import { startIssuer } from '../support/oidc-issuer.js';
import type { TestIssuer } from '../support/oidc-issuer.js';
import { TARGET, hardeningCluster, startSmallServer, type HardeningRule } from './fixtures/cluster.js';
import type { SmallServer } from './fixtures/cluster.js';

const FETCH_TIMEOUT_MS = 300;
const MARGIN_MS = 2_500;
const METADATA_URL = 'http://169.254.169.254/latest/meta-data/';
const HUGE_KEY_SET_BYTES = 5 * 1024 * 1024;

describe('hardening: issuer documents under DESIGN §8', () => {
  let api: KubeApiServer;
  let issuer: TestIssuer;
  const servers: SmallServer[] = [];

  beforeAll(async () => {
    api = await startKubeApiServer({ objects: [] });
    issuer = await startIssuer();
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await issuer.close();
    await api.close();
  });

  async function run(rule: HardeningRule, fetcher: GuardedFetcher): Promise<{ report: Report; elapsedMs: number }> {
    api.setFixture(hardeningCluster(rule));
    const source = LiveClusterSource.fromKubeconfig({ kubeconfigYaml: api.kubeconfigYaml, requestTimeoutMs: 2_000 });
    const started = performance.now();
    try {
      const report = await diagnose({ target: TARGET, source, fetcher });
      return { report, elapsedMs: performance.now() - started };
    } finally {
      await fetcher.close();
    }
  }

  const result = (report: Report, id: string) => {
    const found = report.checks.find((c) => c.id === id);
    if (!found) throw new Error(`no ${id} result`);
    return found;
  };

  it('an issuer that never answers: issuer.discovery is error within the fetch timeout', async () => {
    issuer.setMode('slow', { slowMs: 60_000 });
    try {
      const fetcher = new GuardedFetcher({ timeoutMs: FETCH_TIMEOUT_MS });
      const { report, elapsedMs } = await run({ issuer: issuer.issuer }, fetcher);
      expect(elapsedMs).toBeLessThan(FETCH_TIMEOUT_MS + MARGIN_MS);
      const discovery = result(report, 'issuer.discovery');
      expect(discovery.status).toBe('error');
      expect(discovery.detail).toContain('did not answer within 0.3 s');
      expect(discovery.fix).toBeDefined();
      // Only the discovery document was asked for; the key set (named by it) could not be.
      expect(fetcher.fetchedUrls()).toEqual([issuer.discoveryUrl]);
      expect(result(report, 'issuer.jwks').status).toBe('skip');
      expect(result(report, 'workload.service').status).toBe('pass');
    } finally {
      issuer.setMode('ok');
    }
  });

  it('jwksUri at the cloud metadata address: issuer.jwks is refused, naming it, and nothing is sent there', async () => {
    const fetcher = new GuardedFetcher({ timeoutMs: FETCH_TIMEOUT_MS });
    const { report } = await run({ issuer: 'https://issuer.example', jwksUri: METADATA_URL }, fetcher);
    const jwks = result(report, 'issuer.jwks');
    expect(jwks.status).toBe('error');
    expect(jwks.detail).toContain('169.254.169.254');
    expect(jwks.detail).toMatch(/metadata|refused|blocked/i);
    // The guard refuses before a request is counted: no attempt at all.
    expect(fetcher.requestCount()).toBe(0);
    expect(fetcher.fetchedUrls()).toEqual([]);
  });

  it('a jwksUri that redirects to the metadata address: refused at the redirect, the target is never contacted', async () => {
    const redirector = await startSmallServer((_req, res) => {
      res.writeHead(302, { location: METADATA_URL });
      res.end();
    });
    servers.push(redirector);
    const fetcher = new GuardedFetcher({ timeoutMs: FETCH_TIMEOUT_MS });
    const jwksUri = `${redirector.url}/certs`;
    const { report } = await run({ issuer: 'https://issuer.example', jwksUri }, fetcher);
    const jwks = result(report, 'issuer.jwks');
    expect(jwks.status).toBe('error');
    expect(jwks.detail).toMatch(/redirected to a refused URL/);
    expect(jwks.detail).toContain('169.254.169.254');
    expect(redirector.hits).toEqual(['/certs']);
    expect(fetcher.fetchedUrls()).toEqual([jwksUri]);
    expect(fetcher.requestCount()).toBe(1);
  });

  it('a 5 MB key set is cut off at the 1 MiB cap: issuer.jwks says it is too large', async () => {
    let sentBytes = 0;
    const huge = await startSmallServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      // {"keys":[ … ]} padded to 5 MB, written in 64 KiB pieces so the client can stop reading midway.
      const piece = `{"kty":"oct","k":"${'A'.repeat(64 * 1024 - 20)}"},`;
      res.write('{"keys":[');
      const write = (): void => {
        while (sentBytes < HUGE_KEY_SET_BYTES) {
          sentBytes += piece.length;
          if (!res.write(piece)) {
            res.once('drain', write);
            return;
          }
        }
        res.end('{}]}');
      };
      write();
    });
    servers.push(huge);
    const fetcher = new GuardedFetcher({ timeoutMs: 5_000 });
    const started = performance.now();
    const { report } = await run({ issuer: 'https://issuer.example', jwksUri: `${huge.url}/certs` }, fetcher);
    const jwks = result(report, 'issuer.jwks');
    expect(['fail', 'error']).toContain(jwks.status);
    expect(jwks.detail).toMatch(/more than 1 MiB/);
    expect(FETCH_MAX_BYTES).toBe(1024 * 1024);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
