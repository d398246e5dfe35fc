/**
 * The fake Kubernetes API and the OIDC issuer, run in a CHILD process for the benchmarks: a real cluster and
 * IdP are remote, so their work must not share the event loop (and its CPU time) with the diagnosis being timed.
 * Driven over IPC by bench/server-process.ts; exits when the parent says stop or disconnects.
 */
import { startKubeApiServer } from '../test/support/kube-api-server.js';
import type { KubeApiServer } from '../test/support/kube-api-server.js';
import { startIssuer } from '../test/support/oidc-issuer.js';
import type { TestIssuer } from '../test/support/oidc-issuer.js';
import { worldTokenClaims } from '../test/support/world.js';
import { buildCluster } from './cluster-fixture.js';
import type { ClusterShape } from './cluster-fixture.js';
import type { ChildReply, ParentMessage } from './server-process.js';

let api: KubeApiServer | undefined;
let issuer: TestIssuer | undefined;

function send(reply: ChildReply): void {
  process.send?.(reply);
}

async function stop(): Promise<void> {
  await api?.close();
  await issuer?.close();
  api = undefined;
  issuer = undefined;
}

async function handle(message: ParentMessage): Promise<void> {
  switch (message.type) {
    case 'start': {
      await stop();
      issuer = await startIssuer();
      const shape: ClusterShape = { ...message.shape, issuer: issuer.issuer, jwksUri: issuer.jwksUri };
      const fixture = buildCluster(shape);
      api = await startKubeApiServer({ ...fixture, latencyMs: message.kubeLatencyMs }, message.tls ? { tls: message.tls } : {});
      const token = await issuer.sign(worldTokenClaims());
      if (message.issuerDelayMs > 0) issuer.setMode('slow', { slowMs: message.issuerDelayMs });
      send({ type: 'ready', kubeconfigYaml: api.kubeconfigYaml, issuer: issuer.issuer, token, objects: fixture.objects.length });
      return;
    }
    case 'requests': {
      const kube = (api?.requests ?? []).map((r) => ({ verb: r.verb, resource: r.resource, namespace: r.namespace ?? '', status: r.status, bytes: r.bytes, query: r.query }));
      send({ type: 'requests', kube, issuer: (issuer?.requests ?? []).map((r) => r.path) });
      if (api) api.requests.length = 0;
      if (issuer) issuer.requests.length = 0;
      return;
    }
    case 'stop':
      await stop();
      send({ type: 'stopped' });
      process.disconnect?.();
      return;
  }
}

process.on('message', (message: ParentMessage) => {
  handle(message).catch((err: unknown) => send({ type: 'failed', message: err instanceof Error ? err.stack ?? err.message : String(err) }));
});
process.on('disconnect', () => {
  void stop().finally(() => process.exit(0));
});
