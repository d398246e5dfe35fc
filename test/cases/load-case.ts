/**
 * Reads one scenario folder of the pipeline grid (STYLE: test/cases/<scenario>/) and turns it into what the
 * real servers need: Kubernetes objects and pod logs for the fake API server, issuer options for the jose
 * issuer, the token to diagnose with, and the expected verdict/results.
 *
 * Files of a scenario (only cluster.yaml and expected.yaml are required):
 * - cluster.yaml   multi-document, objects as `kubectl get -o yaml` shows them
 * - proxy.log      istio-proxy log of the FIRST pod (document order) of the target namespace that runs istio-proxy
 * - proxy.<pod>.log  istio-proxy log of that pod (several replicas)
 * - istiod.log     `discovery` container log of the first pod of the root namespace that has one
 * - token.yaml     how to make the token (absent = no token): `{ claims, relativeExp, relativeNbf, kid, key, alg,
 *                  rotateAfterSigning, raw }`
 * - issuer.yaml    issuer options `{ path, mode }` (test/support/oidc-issuer.ts)
 * - api.yaml       fake API server behaviour `{ forbidden, failing, servedGroups }` (test/support/kube-api-server.ts)
 * - expected.yaml  `{ target?, knownBugs?, verdict: { status, checkId?, summary?: [words] }, checks: { <id>: status | { status, detail?, title?, fix?: [words] } } }`
 *                  (pass/skip: every result of the id has it; fail/warn/error: at least one does)
 *
 * Placeholders in every text file: ${ISSUER}, ${JWKS_URI}, ${ISSUER_HOST} (host:port of the running issuer),
 * ${JWKS_PROTO} (the issuer's current JWKS as JSON escaped for a protobuf text-format string, for proxy logs).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import type { CheckStatus } from '../../src/engine/check.js';
import type { KubeObject } from '../../src/model/index.js';
import type { KubeFixture } from '../support/kube-api-server.js';
import type { IssuerMode, SigningAlg, TestIssuer } from '../support/oidc-issuer.js';

/** Jest runs from the repository root. */
export const CASES_DIR = join(process.cwd(), 'test', 'cases');

export interface TokenSpec {
  claims?: Record<string, unknown>;
  /** exp = now + relativeExp seconds (default: the issuer's 1 h lifetime). */
  relativeExp?: number;
  relativeNbf?: number;
  relativeIat?: number;
  /** null = no kid header. */
  kid?: string | null;
  key?: 'current' | 'foreign';
  alg?: SigningAlg;
  /** Sign with the current key, then rotate the issuer's key set (the token's key has left the JWKS). */
  rotateAfterSigning?: boolean;
  /** A literal token (opaque, truncated, …), used as is. */
  raw?: string;
}

export interface IssuerSpec {
  path?: string;
  mode?: IssuerMode;
}

export interface ApiSpec {
  forbidden?: string[];
  failing?: KubeFixture['failing'];
  servedGroups?: string[];
}

export interface ExpectedCheck {
  status: CheckStatus;
  /** Words that must all appear in the detail of the first result of that id with that status. */
  detail?: string[];
  title?: string[];
  fix?: string[];
}

export interface Expected {
  target: { service: string; namespace: string };
  verdict: { status: 'pass' | 'fail' | 'warn' | 'error'; checkId?: string; summary?: string[] };
  checks: Record<string, ExpectedCheck>;
  /**
   * Results the code gets wrong today (a bug in a file this grid does not own): what ISTIO-JWT says they should be.
   * Each runs as `it.failing`, so the grid stays green and turns red the day the bug is fixed (then move it to checks).
   */
  knownBugs: Record<string, ExpectedCheck & { note?: string }>;
}

/** The files of one scenario, before placeholders are filled in. */
export interface RawCase {
  name: string;
  dir: string;
  clusterYaml: string;
  /** '' = the first pod with istio-proxy; otherwise the pod name. */
  proxyLogs: Map<string, string>;
  istiodLog?: string;
  tokenYaml?: string;
  issuer: IssuerSpec;
  api: ApiSpec;
  expectedYaml: string;
  /** Ids, statuses and notes of expected.yaml's knownBugs (placeholders not filled: for test names). */
  knownBugIds: { id: string; status: CheckStatus; note?: string }[];
}

export interface MaterialisedCase {
  fixture: KubeFixture;
  token?: string;
  expected: Expected;
}

const readIf = (file: string): string | undefined => (existsSync(file) ? readFileSync(file, 'utf8') : undefined);

/** Scenario folders, sorted (folders starting with `_` or `.` are not scenarios). */
export function listCases(root: string = CASES_DIR): string[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('_') && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort();
}

export function readCase(name: string, root: string = CASES_DIR): RawCase {
  const dir = join(root, name);
  const clusterYaml = readFileSync(join(dir, 'cluster.yaml'), 'utf8');
  const expectedYaml = readFileSync(join(dir, 'expected.yaml'), 'utf8');
  const proxyLogs = new Map<string, string>();
  for (const file of readdirSync(dir)) {
    if (file === 'proxy.log') proxyLogs.set('', readFileSync(join(dir, file), 'utf8'));
    const m = /^proxy\.(.+)\.log$/.exec(file);
    if (m?.[1]) proxyLogs.set(m[1], readFileSync(join(dir, file), 'utf8'));
  }
  const istiodLog = readIf(join(dir, 'istiod.log'));
  const tokenYaml = readIf(join(dir, 'token.yaml'));
  const issuerYaml = readIf(join(dir, 'issuer.yaml'));
  const apiYaml = readIf(join(dir, 'api.yaml'));
  return {
    name,
    dir,
    clusterYaml,
    proxyLogs,
    ...(istiodLog !== undefined ? { istiodLog } : {}),
    ...(tokenYaml !== undefined ? { tokenYaml } : {}),
    issuer: issuerYaml ? ((parse(issuerYaml) as IssuerSpec | null) ?? {}) : {},
    api: apiYaml ? ((parse(apiYaml) as ApiSpec | null) ?? {}) : {},
    expectedYaml,
    knownBugIds: Object.entries((parse(expectedYaml) as { knownBugs?: Record<string, ExpectedCheck & { note?: string }> } | null)?.knownBugs ?? {}).map(
      ([id, bug]) => ({ id, status: bug.status, ...(bug.note !== undefined ? { note: bug.note } : {}) }),
    ),
  };
}

export function placeholdersFor(issuer: TestIssuer): Record<string, string> {
  return {
    ISSUER: issuer.issuer,
    JWKS_URI: issuer.jwksUri,
    ISSUER_HOST: new URL(issuer.issuer).host,
    JWKS_PROTO: JSON.stringify(issuer.jwks()).replace(/\\/g, '\\\\').replace(/"/g, '\\"'),
  };
}

/** Replaces ${NAME} for the known names; an unknown ${…} is left as is so a typo shows in the failure. */
export function fillPlaceholders(text: string, values: Record<string, string>): string {
  return text.replace(/\$\{([A-Z_]+)\}/g, (whole, name: string) => values[name] ?? whole);
}

export function parseObjects(yamlText: string, where: string): KubeObject[] {
  const out: KubeObject[] = [];
  for (const doc of parseAllDocuments(yamlText)) {
    if (doc.errors.length > 0) throw new Error(`${where}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value: unknown = doc.toJS();
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) out.push(value as KubeObject);
  }
  return out;
}

const podName = (o: KubeObject): string => String(o.metadata?.name ?? '');
const podNamespace = (o: KubeObject): string => String(o.metadata?.namespace ?? 'default');
export function hasContainer(o: KubeObject, name: string): boolean {
  const spec = (o.spec ?? {}) as { containers?: { name?: string }[]; initContainers?: { name?: string }[] };
  return [...(spec.containers ?? []), ...(spec.initContainers ?? [])].some((c) => c.name === name);
}

function normaliseExpected(raw: unknown, where: string): Expected {
  const doc = (raw ?? {}) as {
    target?: { service?: string; namespace?: string };
    verdict?: Expected['verdict'];
    checks?: Record<string, CheckStatus | ExpectedCheck>;
    knownBugs?: Record<string, ExpectedCheck & { note?: string }>;
  };
  if (!doc.verdict) throw new Error(`${where}: expected.yaml has no verdict`);
  const checks: Record<string, ExpectedCheck> = {};
  for (const [id, value] of Object.entries(doc.checks ?? {})) {
    checks[id] = typeof value === 'string' ? { status: value } : value;
  }
  return {
    target: { service: doc.target?.service ?? 'httpbin', namespace: doc.target?.namespace ?? 'foo' },
    verdict: doc.verdict,
    checks,
    knownBugs: doc.knownBugs ?? {},
  };
}

async function makeToken(spec: TokenSpec, issuer: TestIssuer): Promise<string> {
  if (spec.raw !== undefined) return spec.raw;
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = { ...(spec.claims ?? {}) };
  if (spec.relativeExp !== undefined) claims['exp'] = now + spec.relativeExp;
  if (spec.relativeNbf !== undefined) claims['nbf'] = now + spec.relativeNbf;
  if (spec.relativeIat !== undefined) claims['iat'] = now + spec.relativeIat;
  const token = await issuer.sign(claims, {
    ...(spec.kid !== undefined ? { kid: spec.kid } : {}),
    ...(spec.key !== undefined ? { key: spec.key } : {}),
    ...(spec.alg !== undefined ? { alg: spec.alg } : {}),
  });
  if (spec.rotateAfterSigning) await issuer.rotate();
  return token;
}

/**
 * Fills the placeholders with the running issuer's values and builds the fake API server fixture. The token is
 * signed before the proxy logs are filled, so ${JWKS_PROTO} shows the key set after any rotation.
 */
export async function materialiseCase(raw: RawCase, issuer: TestIssuer): Promise<MaterialisedCase> {
  const tokenSpec = raw.tokenYaml
    ? ((parse(fillPlaceholders(raw.tokenYaml, placeholdersFor(issuer))) as TokenSpec | null) ?? undefined)
    : undefined;
  const token = tokenSpec ? await makeToken(tokenSpec, issuer) : undefined;
  const values = placeholdersFor(issuer);
  const objects = parseObjects(fillPlaceholders(raw.clusterYaml, values), `${raw.name}/cluster.yaml`);
  const expected = normaliseExpected(parse(fillPlaceholders(raw.expectedYaml, values)), `${raw.name}/expected.yaml`);

  const logs: Record<string, string> = {};
  const pods = objects.filter((o) => o.kind === 'Pod');
  const proxyPods = pods.filter((p) => podNamespace(p) === expected.target.namespace && hasContainer(p, 'istio-proxy'));
  for (const [pod, text] of raw.proxyLogs) {
    const target = pod === '' ? proxyPods[0] : pods.find((p) => podName(p) === pod);
    if (!target) throw new Error(`${raw.name}: no pod for proxy${pod ? `.${pod}` : ''}.log`);
    logs[`${podNamespace(target)}/${podName(target)}/istio-proxy`] = fillPlaceholders(text, values);
  }
  if (raw.istiodLog !== undefined) {
    const istiod = pods.find((p) => podNamespace(p) === 'istio-system' && hasContainer(p, 'discovery'));
    if (!istiod) throw new Error(`${raw.name}: istiod.log given but no pod with a discovery container in istio-system`);
    logs[`istio-system/${podName(istiod)}/discovery`] = fillPlaceholders(raw.istiodLog, values);
  }
  const fixture: KubeFixture = {
    objects,
    logs,
    ...(raw.api.forbidden ? { forbidden: raw.api.forbidden } : {}),
    ...(raw.api.failing ? { failing: raw.api.failing } : {}),
    ...(raw.api.servedGroups ? { servedGroups: raw.api.servedGroups } : {}),
  };
  return { fixture, ...(token !== undefined ? { token } : {}), expected };
}
