/**
 * collect.ts, istiod part: with several istiod pods (canary upgrade, one per revision), the version and the ONE
 * istiod log read come from the Running, Ready pod of the workload's revision, not from the first pod listed.
 */
import { describe, expect, it } from '@jest/globals';
import type { ClusterSource, LogReadOptions } from '../../src/model/cluster-source.js';
import { collectEvidence } from '../../src/evidence/collect.js';
import type { DocumentFetcher } from '../../src/model/document-fetcher.js';
import type { KubeObject } from '../../src/model/index.js';

function istiod(name: string, rev: string, tag: string, phase: string, ready: boolean): KubeObject {
  return {
    metadata: { name, namespace: 'istio-system', labels: { app: 'istiod', 'istio.io/rev': rev } },
    spec: { containers: [{ name: 'discovery', image: `docker.io/istio/pilot:${tag}` }] },
    status: { phase, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}

const WORKLOAD: KubeObject = {
  metadata: { name: 'httpbin-7d9c5b8f4-abcde', namespace: 'foo', labels: { app: 'httpbin', 'istio.io/rev': '1-22' } },
  spec: { containers: [{ name: 'httpbin' }, { name: 'istio-proxy' }] },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
};

class FakeSource implements ClusterSource {
  readonly name = 'fake';
  readonly logReads: string[] = [];
  constructor(
    private readonly istiodPods: KubeObject[],
    private readonly workload: KubeObject = WORKLOAD,
    private readonly nsLabels: Record<string, string> = { 'istio-injection': 'enabled' },
  ) {}
  async readService(namespace: string, name: string): Promise<KubeObject | undefined> {
    return { metadata: { name, namespace }, spec: { selector: { app: 'httpbin' }, ports: [{ name: 'http', port: 8000 }] } };
  }
  async listServiceNames(): Promise<string[]> {
    return ['httpbin'];
  }
  async readNamespace(name: string): Promise<KubeObject | undefined> {
    return { metadata: { name, labels: this.nsLabels } };
  }
  async listPods(namespace: string): Promise<KubeObject[]> {
    return namespace === 'istio-system' ? this.istiodPods : [this.workload];
  }
  async listCustomObjects(): Promise<KubeObject[] | undefined> {
    return undefined;
  }
  async readPodLog(namespace: string, pod: string, container: string, _options: LogReadOptions): Promise<string> {
    if (container === 'discovery') this.logReads.push(pod);
    return '';
  }
  requestCount(): number {
    return 0;
  }
}

const fetcher: DocumentFetcher = {
  fetch: () => Promise.reject(new Error('no fetch in this test')),
};

async function collect(source: FakeSource) {
  const promises = collectEvidence({
    target: { service: 'httpbin', namespace: 'foo', cluster: 'test' },
    source,
    fetcher,
    rootNamespace: 'istio-system',
    logLines: 10,
  });
  return { istio: await promises.istio, istiodLogs: await promises.istiodLogs };
}

describe('collectEvidence: istiod of the workload revision', () => {
  const old = istiod('istiod-1-20-6b8f9c7d4-aaaaa', '1-20', '1.20.8', 'Running', true);
  const pending = istiod('istiod-1-22-7c9d8e6f5-bbbbb', '1-22', '1.22.3', 'Pending', false);
  const serving = istiod('istiod-1-22-7c9d8e6f5-ccccc', '1-22', '1.22.3', 'Running', true);

  it('reads the version and the log of the Running, Ready pod of the pod label revision, once', async () => {
    const source = new FakeSource([old, pending, serving]);
    const { istio, istiodLogs } = await collect(source);
    expect(istio.ok && istio.value).toMatchObject({ tag: '1.22.3', revision: '1-22', istiodPod: 'istiod-1-22-7c9d8e6f5-ccccc' });
    expect(istiodLogs.ok && istiodLogs.value.pod).toBe('istiod-1-22-7c9d8e6f5-ccccc');
    expect(source.logReads).toEqual(['istiod-1-22-7c9d8e6f5-ccccc']);
  });

  it('falls back to the namespace label revision when the pods carry none', async () => {
    const unlabelled: KubeObject = { ...WORKLOAD, metadata: { ...WORKLOAD.metadata, labels: { app: 'httpbin' } } };
    const source = new FakeSource([serving, old], unlabelled, { 'istio.io/rev': '1-20' });
    const { istio } = await collect(source);
    expect(istio.ok && istio.value).toMatchObject({ tag: '1.20.8', revision: '1-20', istiodPod: 'istiod-1-20-6b8f9c7d4-aaaaa' });
    expect(source.logReads).toEqual(['istiod-1-20-6b8f9c7d4-aaaaa']);
  });

  it('does not read a Pending istiod listed first (plain install, default revision)', async () => {
    const stuck = istiod('istiod-5f4b8c9d7-new00', 'default', '1.22.3', 'Pending', false);
    const running = istiod('istiod-5f4b8c9d7-x2x9z', 'default', '1.22.3', 'Running', true);
    const unlabelled: KubeObject = { ...WORKLOAD, metadata: { ...WORKLOAD.metadata, labels: { app: 'httpbin' } } };
    const source = new FakeSource([stuck, running], unlabelled);
    const { istiodLogs } = await collect(source);
    expect(istiodLogs.ok && istiodLogs.value.pod).toBe('istiod-5f4b8c9d7-x2x9z');
    expect(source.logReads).toEqual(['istiod-5f4b8c9d7-x2x9z']);
  });
});
