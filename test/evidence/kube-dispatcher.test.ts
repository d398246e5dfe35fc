/**
 * One keep-alive dispatcher per cluster for the whole process: @kubernetes/client-node 2.0.1 builds a new
 * undici Agent per request (dist/config.js applySecurityAuthentication → createDispatcher), i.e. a new TCP
 * connection and TLS handshake per request. Over real HTTPS with a CA from the kubeconfig, successive reads
 * (also from separate sources, as successive diagnoses open) must reuse the connection, and new TLS material
 * (a rotated client certificate) must get a new one.
 */
import { LiveClusterSource } from '../../src/evidence/kube-live.js';
import type { KubeObject } from '../../src/model/index.js';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server.js';
import { makeSelfSignedCert, type SelfSignedCert } from '../support/self-signed.js';

const service: KubeObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'httpbin', namespace: 'foo' },
  spec: { selector: { app: 'httpbin' } },
};

let api: KubeApiServer;
let serverCert: SelfSignedCert;

beforeAll(async () => {
  serverCert = makeSelfSignedCert();
  api = await startKubeApiServer({ objects: [service] }, { tls: serverCert });
});
afterAll(async () => {
  await api.close();
});

/** undici returns a socket to its pool a tick after the body ends; a request sent at once opens another. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 10));
const base64 = (pem: string): string => Buffer.from(pem).toString('base64');

test('successive reads over HTTPS, from separate sources, share one TLS connection', async () => {
  const before = api.connections();
  for (let i = 0; i < 4; i += 1) {
    const live = LiveClusterSource.fromKubeconfig({ kubeconfigYaml: api.kubeconfigYaml });
    const found = await live.readService('foo', 'httpbin');
    expect(found?.metadata?.name).toBe('httpbin');
    await settle();
  }
  expect(api.connections() - before).toBe(1);
});

test('new client TLS material (a rotated certificate) gets a new connection, then reuses it', async () => {
  const live = (): LiveClusterSource => LiveClusterSource.fromKubeconfig({ kubeconfigYaml: api.kubeconfigYaml });
  await live().readService('foo', 'httpbin');
  await settle();
  const before = api.connections();
  const rotated = makeSelfSignedCert('jwtcheck-client');
  const withClientCert = api.kubeconfigYaml.replace(
    '    token: test-token',
    `    token: test-token\n    client-certificate-data: ${base64(rotated.cert)}\n    client-key-data: ${base64(rotated.key)}`,
  );
  expect(withClientCert).not.toBe(api.kubeconfigYaml);
  for (let i = 0; i < 3; i += 1) {
    const found = await LiveClusterSource.fromKubeconfig({ kubeconfigYaml: withClientCert }).readService('foo', 'httpbin');
    expect(found?.metadata?.name).toBe('httpbin');
    await settle();
  }
  expect(api.connections() - before).toBe(1);
});
