import { rejection } from '../support/rejection.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FROM_TEMPLATE_ANNOTATION, SnapshotClusterSource, tailLog } from '../../src/evidence/snapshot-source.js';
import { JwtcheckError } from '../../src/errors.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/sources/', import.meta.url));
const fixture = (name: string): string => join(FIXTURES, name);
const LOGS = { tailLines: 500, limitBytes: 1024 * 1024 };

describe('SnapshotClusterSource from manifests (no pods in the files)', () => {
  const source = SnapshotClusterSource.fromFiles([fixture('httpbin-foo.yaml')], [fixture('proxy.log'), fixture('istiod.log')]);

  it('is named "snapshot" and sends no requests', () => {
    expect(source.name).toBe('snapshot');
    expect(source.requestCount()).toBe(0);
  });

  it('reads the Service as written', async () => {
    const svc = await source.readService('foo', 'httpbin');
    expect(svc?.spec?.['selector']).toEqual({ app: 'httpbin' });
    expect(svc?.spec?.['ports']).toEqual([{ name: 'http', port: 8000, targetPort: 8080 }]);
    await expect(source.readService('foo', 'httbin')).resolves.toBeUndefined();
  });

  it('puts objects without a namespace in "default", as kubectl apply would', async () => {
    expect(await source.listServiceNames('foo')).toEqual(['httpbin']);
    expect(await source.listServiceNames('default')).toEqual(['sleep']);
    expect((await source.readService('default', 'sleep'))?.metadata?.namespace).toBe('default');
  });

  it('reads namespaces: written, implied by objects, or absent', async () => {
    expect((await source.readNamespace('foo'))?.metadata?.labels).toEqual({ 'istio-injection': 'enabled' });
    expect(await source.readNamespace('default')).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
    await expect(source.readNamespace('bar')).resolves.toBeUndefined();
  });

  it('synthesizes one running pod per matching workload from its template, and says so', async () => {
    const pods = await source.listPods('foo', 'app=httpbin', 10);
    expect(pods).toHaveLength(1);
    const pod = pods[0];
    expect(pod?.kind).toBe('Pod');
    expect(pod?.metadata?.name).toBe('httpbin-template');
    expect(pod?.metadata?.labels).toEqual({ app: 'httpbin', version: 'v1' });
    expect(pod?.metadata?.annotations?.[FROM_TEMPLATE_ANNOTATION]).toBe('Deployment/httpbin');
    expect(pod?.status?.['phase']).toBe('Running');
    // containers exactly as in the template: no guessed istio-proxy
    const containers = (pod?.spec?.['containers'] as { name: string }[]).map((c) => c.name);
    expect(containers).toEqual(['httpbin']);
    expect(await source.listPods('foo', 'app=httpbin,version=v2', 10)).toEqual([]);
    expect(await source.listPods('foo', 'app=sleep', 10)).toEqual([]);
  });

  it('lists RequestAuthentications of any stored version, and AuthorizationPolicies', async () => {
    const ras = await source.listCustomObjects('security.istio.io', ['v1', 'v1beta1'], 'requestauthentications', 'foo');
    expect(ras?.map((r) => `${r.apiVersion} ${r.metadata?.name}`)).toEqual(['security.istio.io/v1beta1 jwt-example']);
    const aps = await source.listCustomObjects('security.istio.io', ['v1', 'v1beta1'], 'authorizationpolicies', 'foo');
    expect(aps?.map((a) => a.metadata?.name)).toEqual(['require-jwt']);
    expect(await source.listCustomObjects('security.istio.io', ['v1'], 'requestauthentications', 'istio-system')).toEqual([]);
    // across namespaces when no namespace is given
    expect(await source.listCustomObjects('security.istio.io', ['v1'], 'requestauthentications')).toHaveLength(1);
  });

  it('treats an API group with nothing in the files as not served (legacy authentication.istio.io)', async () => {
    await expect(source.listCustomObjects('authentication.istio.io', ['v1alpha1'], 'policies', 'foo')).resolves.toBeUndefined();
  });

  it('gives the unnamed proxy log to every pod read, with tailLines applied', async () => {
    const all = await source.readPodLog('foo', 'httpbin-template', 'istio-proxy', LOGS);
    expect(all.split('\n').filter(Boolean)).toHaveLength(4);
    const tail = await source.readPodLog('foo', 'httpbin-template', 'istio-proxy', { tailLines: 2, limitBytes: 1 << 20 });
    const lines = tail.split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('Jwt_issuer_is_not_configured');
    expect(lines[1]).toContain('rbac_access_denied_matched_policy[none]');
  });

  it('returns a synthesized istiod pod so the istiod log can be read', async () => {
    const pods = await source.listPods('istio-system', 'app=istiod', 5);
    expect(pods.map((p) => p.metadata?.name)).toEqual(['istiod']);
    expect((pods[0]?.spec?.['containers'] as { name: string; image?: string }[])[0]).toEqual({ name: 'discovery' });
    expect(await source.readNamespace('istio-system')).toBeDefined();
    const log = await source.readPodLog('istio-system', 'istiod', 'discovery', LOGS);
    expect(log).toContain('x509: certificate signed by unknown authority');
    expect(await source.listPods('istio-system', 'app=prometheus', 5)).toEqual([]);
  });

  it('says what to save when a log is missing or the pod is unknown', async () => {
    const noIstiod = SnapshotClusterSource.fromFiles([fixture('httpbin-foo.yaml')]);
    expect(await noIstiod.listPods('istio-system', 'app=istiod', 5)).toEqual([]);
    const noLog = await rejection(noIstiod.readPodLog('foo', 'httpbin-template', 'istio-proxy', LOGS));
    expect(noLog.code).toBe('unavailable');
    expect(noLog.message).toContain('kubectl logs -n foo httpbin-template -c istio-proxy');
    const unknown = await rejection(source.readPodLog('foo', 'nope', 'istio-proxy', LOGS));
    expect(unknown.code).toBe('not-found');
  });

  it('rejects an invalid label selector instead of matching nothing', async () => {
    const err = await rejection(source.listPods('foo', 'app in httpbin', 5));
    expect(err.code).toBe('invalid');
  });
});

describe('SnapshotClusterSource with pods from kubectl get -o json', () => {
  const source = SnapshotClusterSource.fromFiles(
    [fixture('httpbin-foo.yaml'), fixture('pods-foo.json')],
    [fixture('proxy.log'), fixture('httpbin-7d9c5b8f4-abcde.log')],
  );

  it('uses the real pods (unwrapped from the List) and does not synthesize any', async () => {
    const pods = await source.listPods('foo', 'app=httpbin', 10);
    expect(pods.map((p) => p.metadata?.name)).toEqual(['httpbin-7d9c5b8f4-abcde']);
    expect(pods[0]?.metadata?.annotations?.[FROM_TEMPLATE_ANNOTATION]).toBeUndefined();
    expect(await source.listPods('foo', 'app', 1)).toHaveLength(1);
    expect(await source.listPods('foo', '', 10)).toHaveLength(2);
    expect((await source.listPods('foo', 'app notin (sleep)', 10)).map((p) => p.metadata?.name)).toEqual(['httpbin-7d9c5b8f4-abcde']);
  });

  it('a log file named after a pod belongs to that pod only', async () => {
    expect(await source.readPodLog('foo', 'httpbin-7d9c5b8f4-abcde', 'istio-proxy', LOGS)).toContain('"own-1"');
    expect(await source.readPodLog('foo', 'sleep-5d8f9c7b6-xyz12', 'istio-proxy', LOGS)).toContain('Jwt_issuer_is_not_configured');
  });
});

describe('SnapshotClusterSource.fromObjects', () => {
  it('takes objects and logs directly, unwrapping lists and defaulting namespaces', async () => {
    const source = SnapshotClusterSource.fromObjects(
      [
        {
          apiVersion: 'v1',
          kind: 'List',
          items: [
            { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' } },
            { apiVersion: 'authentication.istio.io/v1alpha1', kind: 'MeshPolicy', metadata: { name: 'default' }, spec: {} },
            { apiVersion: 'authentication.istio.io/v1alpha1', kind: 'Policy', metadata: { name: 'jwt', namespace: 'foo' }, spec: {} },
          ],
        },
        {
          apiVersion: 'apps/v1',
          kind: 'StatefulSet',
          metadata: { name: 'db', namespace: 'foo' },
          spec: { template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db' }, { name: 'istio-proxy' }] } } },
        },
      ],
      [{ pod: 'db-template', text: 'a\nb\nc\n' }, { container: 'discovery', text: 'istiod says hi\n' }],
    );
    expect(await source.listServiceNames('default')).toEqual(['web']);
    const mesh = await source.listCustomObjects('authentication.istio.io', ['v1alpha1'], 'meshpolicies');
    expect(mesh?.[0]?.metadata?.namespace).toBeUndefined();
    expect((await source.listCustomObjects('authentication.istio.io', ['v1alpha1'], 'policies', 'foo'))?.[0]?.metadata?.name).toBe('jwt');
    const [db] = await source.listPods('foo', 'app=db', 5);
    expect(db?.metadata?.annotations?.[FROM_TEMPLATE_ANNOTATION]).toBe('StatefulSet/db');
    expect((db?.spec?.['containers'] as { name: string }[]).map((c) => c.name)).toEqual(['db', 'istio-proxy']);
    expect(await source.readPodLog('foo', 'db-template', 'istio-proxy', { tailLines: 1, limitBytes: 100 })).toBe('c\n');
    expect(await source.readPodLog('istio-system', 'istiod', 'discovery', LOGS)).toBe('istiod says hi\n');
  });
});

describe('SnapshotClusterSource file errors', () => {
  it('a YAML syntax error names the file and the line', () => {
    let caught: unknown;
    try {
      SnapshotClusterSource.fromFiles([fixture('broken.yaml')]);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(JwtcheckError);
    expect((caught as JwtcheckError).code).toBe('invalid');
    expect((caught as JwtcheckError).message).toMatch(/^broken\.yaml line 1[45]: /);
  });

  it('a missing file says which path', () => {
    expect(() => SnapshotClusterSource.fromFiles([fixture('nope.yaml')])).toThrow(/nope\.yaml: no such file/);
  });

  it('skips empty documents and fragments without kind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jwtcheck-snap-'));
    try {
      const file = join(dir, 'mixed.yaml');
      writeFileSync(file, '---\n# only a comment\n---\nreplicas: 3\n---\napiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: x}\n');
      const source = SnapshotClusterSource.fromFiles([file]);
      return expect(source.listServiceNames('x')).resolves.toEqual(['a']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('tailLog', () => {
  it('keeps the last N lines, then at most limitBytes from the start of that tail', () => {
    expect(tailLog('1\n2\n3\n', 2, 100)).toBe('2\n3\n');
    expect(tailLog('1\n2\n3', 2, 100)).toBe('2\n3');
    expect(tailLog('1\n2\n3\n', 0, 100)).toBe('');
    expect(tailLog('1\n2\n3\n', 10, 100)).toBe('1\n2\n3\n');
    expect(tailLog('aaaa\nbbbb\n', 2, 6)).toBe('aaaa\nb');
  });
});
