/**
 * The kustomize base (manifests/) and the Dockerfile, read as data: every file parses, the
 * kustomization lists exactly the files present, every pod runs hardened, the ClusterRole is
 * read-only and limited to what a diagnosis reads, and the settings feed loadConfig without error.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config.js';

const ROOT = process.cwd();
const MANIFESTS = join(ROOT, 'manifests');

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- free-form Kubernetes YAML in assertions

function docsOf(file: string): Obj[] {
  return parseAllDocuments(readFileSync(join(MANIFESTS, file), 'utf8')).map((doc) => {
    expect(doc.errors).toEqual([]);
    return doc.toJS() as Obj;
  });
}

const kustomization = parse(readFileSync(join(MANIFESTS, 'kustomization.yaml'), 'utf8')) as Obj;
const resourceFiles = kustomization['resources'] as string[];
const objects: Obj[] = resourceFiles.flatMap((file) => docsOf(file).map((o): Obj => ({ file, ...o })));
const byKind = (kind: string): Obj[] => objects.filter((o) => o['kind'] === kind);
const podOwners = objects.filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'].includes(o['kind'] as string));
const named = (kind: string, name: string): Obj => {
  const found = objects.find((o) => o['kind'] === kind && o['metadata']?.name === name);
  if (!found) throw new Error(`${kind} ${name} not in manifests/`);
  return found;
};

/** `KEY=value` lines of a dotenv file, comments and blanks skipped. */
function dotenvKeys(path: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] !== undefined) map.set(m[1], m[2] ?? '');
  }
  return map;
}

describe('kustomization', () => {
  it('lists exactly the YAML files present in manifests/', () => {
    const present = readdirSync(MANIFESTS).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...resourceFiles].sort()).toEqual(present.sort());
  });

  it('puts everything namespaced in the jwtcheck namespace and creates that namespace', () => {
    expect(kustomization['namespace']).toBe('jwtcheck');
    expect(named('Namespace', 'jwtcheck')['metadata'].labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  it('generates the Secret from the git-ignored manifests/.env, whose example has the secrets the pods read', () => {
    const generator = (kustomization['secretGenerator'] as Obj[])[0] as Obj;
    expect(generator['name']).toBe('jwtcheck-secrets');
    expect(generator['envs']).toEqual(['.env']);
    // The root .gitignore has `.env` (no slash), which matches manifests/.env too.
    expect(readFileSync(join(ROOT, '.gitignore'), 'utf8').split('\n')).toContain('.env');
    const example = dotenvKeys(join(MANIFESTS, '.env.example'));
    const referenced = podOwners.flatMap((o) =>
      (o['spec'].template.spec.containers as Obj[]).flatMap((c) =>
        ((c['env'] ?? []) as Obj[]).map((e) => e['valueFrom']?.secretKeyRef).filter(Boolean),
      ),
    ) as Obj[];
    expect(referenced.length).toBeGreaterThan(0);
    for (const ref of referenced) {
      expect(ref['name']).toBe('jwtcheck-secrets');
      expect(example.has(ref['key'] as string)).toBe(true);
    }
    // Secret values are not in the example, and nothing secret is in the ConfigMap.
    for (const value of example.values()) expect(value).toBe('');
    const literals = ((kustomization['configMapGenerator'] as Obj[])[0] as Obj)['literals'] as string[];
    expect(literals.join('\n')).not.toMatch(/SLACK_|JOB_ENCRYPTION_KEY/);
  });

  it('configures the worker and the app so that loadConfig accepts them', () => {
    const literals = ((kustomization['configMapGenerator'] as Obj[])[0] as Obj)['literals'] as string[];
    const env = Object.fromEntries(literals.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    const secrets = {
      SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
      SLACK_SIGNING_SECRET: 'f'.repeat(32),
      JOB_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    };
    const worker = loadConfig({ ...env, ...secrets }, { role: 'worker' });
    expect(worker.redisUrl).toBe('redis://redis:6379');
    expect(worker.healthPort).toBe(9465);
    expect(loadConfig({ ...env, ...secrets }, { role: 'app' }).healthPort).toBe(9464);
    expect(loadConfig({ ...env, ...secrets }, { role: 'app' }).slack.port).toBe(3000);
  });

  it('builds with kubectl kustomize when kubectl is installed', () => {
    let kubectl = true;
    try {
      execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    } catch {
      kubectl = false;
    }
    if (!kubectl) return; // checked statically by the other tests
    const dir = mkdtempSync(join(tmpdir(), 'jwtcheck-kustomize-'));
    try {
      cpSync(MANIFESTS, dir, { recursive: true, filter: (src) => !src.endsWith('/.env') });
      writeFileSync(join(dir, '.env'), 'SLACK_BOT_TOKEN=xoxb-1\nSLACK_SIGNING_SECRET=s\nJOB_ENCRYPTION_KEY=k\nSLACK_APP_TOKEN=\n');
      const out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
      const built = parseAllDocuments(out).map((d) => d.toJS() as Obj);
      const secret = built.find((o) => o['kind'] === 'Secret') as Obj;
      expect(secret['metadata'].name).toMatch(/^jwtcheck-secrets-[a-z0-9]+$/);
      // The hashed names are rewritten into the pods' references.
      const worker = built.find((o) => o['kind'] === 'Deployment' && o['metadata'].name === 'jwtcheck-worker') as Obj;
      const container = worker['spec'].template.spec.containers[0] as Obj;
      expect(container['env'][0].valueFrom.secretKeyRef.name).toBe(secret['metadata'].name);
      expect(container['envFrom'][0].configMapRef.name).toMatch(/^jwtcheck-config-[a-z0-9]+$/);
      expect(container['image']).toBe('jwtcheck:0.1.0');
      for (const o of built.filter((x) => !['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(x['kind'] as string))) {
        expect(`${o['kind']}/${o['metadata'].name} ${o['metadata'].namespace}`).toBe(`${o['kind']}/${o['metadata'].name} jwtcheck`);
      }
      const binding = built.find((o) => o['kind'] === 'ClusterRoleBinding') as Obj;
      expect(binding['subjects']).toEqual([{ kind: 'ServiceAccount', name: 'jwtcheck', namespace: 'jwtcheck' }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('pod hardening', () => {
  it.each(podOwners.map((o) => [`${o['kind']}/${o['metadata'].name}`, o] as const))('%s runs non-root, read-only, no privileges, RuntimeDefault seccomp', (_, owner) => {
    const pod = owner['spec'].template.spec as Obj;
    expect(pod['securityContext'].runAsNonRoot).toBe(true);
    expect(pod['securityContext'].seccompProfile).toEqual({ type: 'RuntimeDefault' });
    expect(pod['enableServiceLinks']).toBe(false);
    expect(typeof pod['terminationGracePeriodSeconds']).toBe('number');
    for (const c of [...(pod['initContainers'] ?? []), ...pod['containers']] as Obj[]) {
      const sc = c['securityContext'] as Obj;
      expect(sc['runAsNonRoot']).toBe(true);
      expect(sc['runAsUser']).toBeGreaterThan(0);
      expect(sc['readOnlyRootFilesystem']).toBe(true);
      expect(sc['allowPrivilegeEscalation']).toBe(false);
      expect(sc['capabilities']).toEqual({ drop: ['ALL'] });
      expect(sc['seccompProfile']).toEqual({ type: 'RuntimeDefault' });
      expect(sc['privileged']).toBeUndefined();
      expect(c['resources'].requests.cpu).toBeDefined();
      expect(c['resources'].requests.memory).toBeDefined();
      expect(c['resources'].limits.memory).toBeDefined();
      expect(c['livenessProbe']).toBeDefined();
      expect(c['readinessProbe']).toBeDefined();
    }
    expect(pod['hostNetwork']).toBeUndefined();
    expect(pod['hostPID']).toBeUndefined();
    for (const v of (pod['volumes'] ?? []) as Obj[]) expect(v['hostPath']).toBeUndefined();
  });

  it('runs jwtcheck as uid 10001, the user of the Dockerfile, with enough grace time for running jobs', () => {
    for (const name of ['jwtcheck-app', 'jwtcheck-worker']) {
      const pod = named('Deployment', name)['spec'].template.spec as Obj;
      expect(pod['securityContext'].runAsUser).toBe(10001);
      expect(pod['containers'][0].securityContext.runAsUser).toBe(10001);
      expect(pod['terminationGracePeriodSeconds']).toBeGreaterThanOrEqual(60);
      // The root filesystem is read-only: /tmp is the writable scratch space.
      expect((pod['containers'][0].volumeMounts as Obj[]).map((m) => m['mountPath'])).toContain('/tmp');
    }
    expect(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).toMatch(/^USER 10001:10001$/m);
  });

  it('gives only the worker a ServiceAccount token', () => {
    const app = named('Deployment', 'jwtcheck-app')['spec'].template.spec as Obj;
    const worker = named('Deployment', 'jwtcheck-worker')['spec'].template.spec as Obj;
    expect(app['automountServiceAccountToken']).toBe(false);
    expect(app['serviceAccountName']).toBeUndefined();
    expect(worker['serviceAccountName']).toBe('jwtcheck');
    expect(worker['automountServiceAccountToken']).toBe(true);
    expect(named('StatefulSet', 'redis')['spec'].template.spec.automountServiceAccountToken).toBe(false);
    expect(named('ServiceAccount', 'jwtcheck')['automountServiceAccountToken']).toBe(false);
  });

  it('probes /healthz and /readyz on the health port and exposes the app on Service port 80 -> 3000', () => {
    for (const [name, port] of [['jwtcheck-app', 9464], ['jwtcheck-worker', 9465]] as const) {
      const d = named('Deployment', name)['spec'].template;
      const c = d.spec.containers[0] as Obj;
      expect((c['ports'] as Obj[]).find((p) => p['name'] === 'health')?.['containerPort']).toBe(port);
      expect(d.metadata.annotations['prometheus.io/port']).toBe(String(port));
      expect(c['livenessProbe'].httpGet).toEqual({ path: '/healthz', port: 'health' });
      expect(c['readinessProbe'].httpGet).toEqual({ path: '/readyz', port: 'health' });
      expect(c['readinessProbe'].timeoutSeconds * 1000).toBeGreaterThan(2000); // the per-probe bound inside /readyz
    }
    const app = named('Deployment', 'jwtcheck-app');
    expect(app['spec'].replicas).toBe(1);
    expect(app['spec'].template.spec.containers[0].args).toEqual(['app']);
    expect(named('Deployment', 'jwtcheck-worker')['spec'].replicas).toBe(2);
    expect(named('Deployment', 'jwtcheck-worker')['spec'].template.spec.containers[0].args).toEqual(['worker']);
    const service = named('Service', 'jwtcheck-app');
    expect(service['spec'].ports).toContainEqual({ name: 'http', port: 80, targetPort: 'http' });
    expect((app['spec'].template.spec.containers[0].ports as Obj[]).find((p) => p['name'] === 'http')?.['containerPort']).toBe(3000);
    expect(service['spec'].selector).toEqual(app['spec'].selector.matchLabels);
  });

  it('keeps a worker up during drains (PDB minAvailable 1 selecting the worker pods)', () => {
    const pdb = named('PodDisruptionBudget', 'jwtcheck-worker');
    expect(pdb['spec'].minAvailable).toBe(1);
    expect(pdb['spec'].selector.matchLabels).toEqual(named('Deployment', 'jwtcheck-worker')['spec'].selector.matchLabels);
  });

  it('runs Redis with noeviction (BullMQ requirement) behind a Service named redis, as REDIS_URL says', () => {
    const redis = named('StatefulSet', 'redis');
    const args = redis['spec'].template.spec.containers[0].args as string[];
    expect(args[args.indexOf('--maxmemory-policy') + 1]).toBe('noeviction');
    expect(named('Service', 'redis')['spec'].ports[0].port).toBe(6379);
  });
});

describe('ClusterRole', () => {
  const role = named('ClusterRole', 'jwtcheck-reader');
  const rules = role['rules'] as Obj[];

  it('only reads: get and list, nothing else', () => {
    for (const rule of rules) for (const verb of rule['verbs'] as string[]) expect(['get', 'list']).toContain(verb);
    expect(JSON.stringify(rules)).not.toContain('*');
    expect(rules.every((r) => r['nonResourceURLs'] === undefined && r['resourceNames'] === undefined)).toBe(true);
  });

  it('grants exactly the reads a diagnosis makes', () => {
    const grants = rules.flatMap((r) =>
      (r['apiGroups'] as string[]).flatMap((g) =>
        (r['resources'] as string[]).flatMap((res) => (r['verbs'] as string[]).map((v) => `${v} ${g === '' ? res : `${res}.${g}`}`)),
      ),
    );
    expect(grants.sort()).toEqual(
      [
        'get services',
        'list services',
        'get namespaces',
        'list pods',
        'get pods/log',
        'list requestauthentications.security.istio.io',
        'list authorizationpolicies.security.istio.io',
        'list policies.authentication.istio.io',
        'list meshpolicies.authentication.istio.io',
      ].sort(),
    );
    expect(JSON.stringify(rules)).not.toMatch(/secrets|configmaps|serviceaccounts|exec|portforward|proxy/);
  });

  it('is bound to the worker ServiceAccount only', () => {
    const binding = named('ClusterRoleBinding', 'jwtcheck-reader');
    expect(binding['roleRef']).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'jwtcheck-reader' });
    expect(binding['subjects']).toEqual([{ kind: 'ServiceAccount', name: 'jwtcheck', namespace: 'jwtcheck' }]);
  });
});

describe('NetworkPolicy', () => {
  const policies = byKind('NetworkPolicy');
  const policyFor = (component: string): Obj =>
    policies.find((p) => p['spec'].podSelector.matchLabels?.['app.kubernetes.io/component'] === component) as Obj;
  const ingressPorts = (p: Obj): number[] => (p['spec'].ingress as Obj[]).flatMap((r) => (r['ports'] as Obj[]).map((x) => x['port'] as number));

  it('denies everything by default', () => {
    const deny = policies.find((p) => Object.keys(p['spec'].podSelector).length === 0) as Obj;
    expect(deny['spec'].policyTypes).toEqual(['Ingress', 'Egress']);
    expect(deny['spec'].ingress).toBeUndefined();
    expect(deny['spec'].egress).toBeUndefined();
  });

  it('opens the app on 3000 and the health port, the worker on the health port only', () => {
    expect(ingressPorts(policyFor('app')).sort()).toEqual([3000, 9464]);
    expect(ingressPorts(policyFor('worker'))).toEqual([9465]);
  });

  it('lets only app and worker reach Redis, and gives Redis no egress', () => {
    const redis = policyFor('redis');
    const from = redis['spec'].ingress[0].from[0].podSelector.matchExpressions as Obj[];
    expect(from.find((e) => e['key'] === 'app.kubernetes.io/component')?.['values']).toEqual(['app', 'worker']);
    expect(redis['spec'].policyTypes).toContain('Egress');
    expect(redis['spec'].egress).toBeUndefined();
  });

  it('lets the worker reach DNS, Redis, the API server (443/6443) and issuers, never metadata addresses', () => {
    const egress = policyFor('worker')['spec'].egress as Obj[];
    const ports = egress.flatMap((r) => (r['ports'] as Obj[]).map((p) => `${p['protocol']}/${p['port']}`));
    expect(ports).toEqual(expect.arrayContaining(['UDP/53', 'TCP/53', 'TCP/6379', 'TCP/443', 'TCP/6443']));
    for (const rule of egress) for (const to of (rule['to'] ?? []) as Obj[]) if (to['ipBlock']) expect(to['ipBlock'].except).toContain('169.254.0.0/16');
  });
});

describe('Dockerfile and .dockerignore', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

  it('bundles in one stage and runs the self-contained bundle on a current LTS in another', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:(22|24)-(slim|alpine)$/m);
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/npm ci[^\n]*\n[\s\S]*npm run build/);
    // The bundle carries its dependencies: the runtime stage copies no node_modules.
    expect(dockerfile).not.toMatch(/COPY[^\n]*node_modules/);
    expect(dockerfile).toContain('ENV NODE_ENV=production');
    expect(dockerfile).toContain('COPY examples ./examples');
    expect(dockerfile).toContain('ENTRYPOINT ["node", "dist/cli.js"]');
    expect(dockerfile).toContain('CMD ["app"]');
    expect(dockerfile).not.toMatch(/^HEALTHCHECK/m);
    // The entry point the image runs is the one package.json builds.
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin['jwtcheck']).toBe('dist/cli.js');
  });

  it('copies only files that exist, and keeps secrets out of the build context', () => {
    for (const m of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const source of (m[1] ?? '').split(/\s+/)) expect(existsSync(join(ROOT, source))).toBe(true);
    }
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    expect(ignore).toEqual(expect.arrayContaining(['**/.env', 'node_modules/', '.git']));
    // Nothing the Dockerfile copies is ignored.
    for (const needed of ['package.json', 'package-lock.json', 'src', 'scripts', 'scripts/', 'examples', 'tsconfig.json']) expect(ignore).not.toContain(needed);
  });
});
