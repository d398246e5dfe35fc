/**
 * manifests/alerting/, read as data: the rule fires on the 401/403 share of istio_requests_total per
 * destination service over 5 minutes and keeps the labels jwtcheck reads as the target; both receiver
 * examples post to the app's /alertmanager with a bearer token taken from a Secret, and send `resolved`.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { TARGET_LABELS } from '../../src/slack/alerts/payload.js';
import { ALERTMANAGER_PATH } from '../../src/slack/alerts/alertmanager-route.js';

const DIR = join(process.cwd(), 'manifests', 'alerting');
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- free-form Kubernetes YAML in assertions
const load = (file: string): Obj => {
  const [doc, ...rest] = parseAllDocuments(readFileSync(join(DIR, file), 'utf8'));
  expect(rest).toEqual([]);
  expect(doc?.errors).toEqual([]);
  return doc?.toJS() as Obj;
};
const kustomization = parse(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8')) as Obj;

it('lists the operator objects, generates the token Secret from a git-ignored .env, without a hash suffix', () => {
  const present = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
  expect([...(kustomization['resources'] as string[])].sort()).toEqual(present.sort());
  expect(kustomization['secretGenerator']).toEqual([{ name: 'jwtcheck-alertmanager', envs: ['.env'] }]);
  expect(kustomization['generatorOptions']).toEqual({ disableNameSuffixHash: true });
  expect(readFileSync(join(DIR, '.env.example'), 'utf8')).toMatch(/^token=$/m);
});

it('the PrometheusRule fires on the 401/403 share per destination service over 5 m, with the labels jwtcheck reads', () => {
  const rule = load('prometheusrule.yaml');
  expect(rule['kind']).toBe('PrometheusRule');
  const alert = (rule['spec'].groups[0].rules as Obj[])[0] as Obj;
  const expr = alert['expr'] as string;
  expect(expr).toContain('istio_requests_total{reporter="destination", response_code=~"401|403"}[5m]');
  expect(expr).toMatch(/\/\s*sum by \(destination_service_name, destination_service_namespace, cluster\)/);
  // Every aggregation keeps the first label pair jwtcheck reads, so the alert names the workload.
  for (const by of expr.matchAll(/sum by \(([^)]*)\)/g)) expect(by[1]?.split(', ')).toEqual(expect.arrayContaining([...TARGET_LABELS[0]]));
  // prometheus-operator routes to a namespaced AlertmanagerConfig only alerts labelled with its namespace.
  expect(alert['labels'].namespace).toBe(kustomization['namespace']);
  expect(alert['annotations'].summary).toContain('{{ $labels.destination_service_name }}');
});

it('the AlertmanagerConfig and the plain alertmanager.yml post to /alertmanager with the bearer token from a Secret and send resolved', () => {
  const config = load('alertmanagerconfig.yaml');
  expect(config['spec'].route.receiver).toBe('jwtcheck');
  const hook = (config['spec'].receivers as Obj[])[0]?.['webhookConfigs'][0] as Obj;
  expect(new URL(hook['url'] as string).pathname).toBe(ALERTMANAGER_PATH);
  expect(hook['url']).toBe('http://jwtcheck-app.jwtcheck.svc/alertmanager');
  expect(hook['sendResolved']).toBe(true);
  expect(hook['httpConfig'].authorization).toEqual({ type: 'Bearer', credentials: { name: 'jwtcheck-alertmanager', key: 'token' } });

  const plain = parse(readFileSync(join(DIR, 'alertmanager.yml'), 'utf8')) as Obj;
  const receiver = (plain['receivers'] as Obj[]).find((r) => r['name'] === 'jwtcheck') as Obj;
  const webhook = receiver['webhook_configs'][0] as Obj;
  expect(new URL(webhook['url'] as string).pathname).toBe(ALERTMANAGER_PATH);
  expect(webhook['send_resolved']).toBe(true);
  expect(webhook['http_config'].authorization.type).toBe('Bearer');
  expect(webhook['http_config'].authorization.credentials_file).toMatch(/^\/etc\/alertmanager\/secrets\//);
  expect((plain['route'].routes as Obj[])[0]?.['receiver']).toBe('jwtcheck');
});
