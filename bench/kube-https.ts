/**
 * Benchmark 7 (issue 12): one Kubernetes GET over HTTPS, per request. The fake API (child process) serves
 * HTTPS with a self-signed certificate made now; the kubeconfig trusts it (certificate-authority-data).
 * Three clients, interleaved round by round in a rotating order, ROUND_REQUESTS sequential `get service` each:
 *  - jwtcheck: LiveClusterSource (client-node with the process-wide keep-alive dispatcher);
 *  - stock client-node 2.0.1: a new undici Agent per request, i.e. a TLS handshake per request (the before);
 *  - baseline: undici fetch + JSON.parse over one keep-alive Agent with the same CA.
 * Requests per second and CPU of this process per request (the server's CPU is the child's).
 * Goal: jwtcheck ≤ 1.5× the baseline per request (median of per-round ratios).
 */
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { Agent, fetch } from 'undici';
import { LiveClusterSource } from '../src/evidence/kube-live.js';
import { closeSharedDispatchers } from '../src/evidence/kube-dispatcher.js';
import { makeSelfSignedCert } from '../test/support/self-signed.js';
import { TARGET } from './cluster-fixture.js';
import type { ServerProcess } from './server-process.js';
import { median } from './slack-ack.js';

export const HTTPS_GOAL_RATIO = 1.5;
const ROUNDS = 5;
const ROUND_REQUESTS = 100;
const WARMUP_REQUESTS = 20;

type Client = 'jwtcheck' | 'stock client-node' | 'fetch + JSON.parse';

export interface ClientFigures {
  requestsPerSecond: number;
  cpuMsPerRequest: number;
  /** Median of per-round (this client's wall time per request) / (baseline's). */
  ratioToBaseline: number;
}

export interface KubeHttpsResult {
  rounds: number;
  requestsPerRound: number;
  clients: Record<Client, ClientFigures>;
  goalRatio: number;
  goalMet: boolean;
}

export async function benchKubeHttps(servers: ServerProcess): Promise<KubeHttpsResult> {
  const cert = makeSelfSignedCert();
  const ready = await servers.start({ pods: 10, targetPods: 3, policies: 4, keysVia: 'discovery', proxyLogLines: 10 }, 0, 0, cert);
  const server = /server: (\S+)/.exec(ready.kubeconfigYaml)?.[1] ?? '';
  const token = /token: (\S+)/.exec(ready.kubeconfigYaml)?.[1] ?? '';
  const agent = new Agent({ connect: { ca: cert.cert } });
  const { namespace, service } = TARGET;
  const live = LiveClusterSource.fromKubeconfig({ kubeconfigYaml: ready.kubeconfigYaml, requestTimeoutMs: 600_000 });
  const kc = new KubeConfig();
  kc.loadFromString(ready.kubeconfigYaml);
  const stock = kc.makeApiClient(CoreV1Api);
  const clients: Record<Client, () => Promise<unknown>> = {
    jwtcheck: () => live.readService(namespace, service),
    'stock client-node': () => stock.readNamespacedService({ name: service, namespace }),
    'fetch + JSON.parse': async () => {
      const res = await fetch(`${server}/api/v1/namespaces/${namespace}/services/${service}`, { dispatcher: agent, headers: { authorization: `Bearer ${token}` } });
      return JSON.parse(await res.text()) as unknown;
    },
  };
  const names = Object.keys(clients) as Client[];
  const samples = new Map<Client, { wallMs: number; cpuMs: number }[]>(names.map((n) => [n, []]));
  try {
    for (const name of names) for (let i = 0; i < WARMUP_REQUESTS; i += 1) await clients[name]();
    for (let round = 0; round < ROUNDS; round += 1) {
      for (let k = 0; k < names.length; k += 1) {
        const name = names[(round + k) % names.length] as Client;
        const cpu = process.cpuUsage();
        const started = performance.now();
        for (let i = 0; i < ROUND_REQUESTS; i += 1) await clients[name]();
        const wallMs = performance.now() - started;
        const used = process.cpuUsage(cpu);
        samples.get(name)?.push({ wallMs, cpuMs: (used.user + used.system) / 1000 });
      }
    }
  } finally {
    await agent.close();
    await closeSharedDispatchers();
  }
  const base = samples.get('fetch + JSON.parse') ?? [];
  const figures = Object.fromEntries(
    names.map((name) => {
      const s = samples.get(name) ?? [];
      return [
        name,
        {
          requestsPerSecond: median(s.map((x) => (ROUND_REQUESTS * 1000) / x.wallMs)),
          cpuMsPerRequest: median(s.map((x) => x.cpuMs / ROUND_REQUESTS)),
          ratioToBaseline: median(s.map((x, i) => x.wallMs / (base[i]?.wallMs ?? NaN))),
        },
      ];
    }),
  ) as Record<Client, ClientFigures>;
  return { rounds: ROUNDS, requestsPerRound: ROUND_REQUESTS, clients: figures, goalRatio: HTTPS_GOAL_RATIO, goalMet: figures.jwtcheck.ratioToBaseline <= HTTPS_GOAL_RATIO };
}
