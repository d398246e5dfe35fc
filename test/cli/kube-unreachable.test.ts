/**
 * Issue 10 item 10: a Kubernetes API that hangs or cannot be reached. One deadline bounds every
 * Kubernetes request of a diagnosis (JWTCHECK_KUBE_TIMEOUT_MS, `--timeout` on `diagnose`), and the
 * one failure is said once: checks stopped by the same error collapse into one entry naming them, in the
 * terminal and in the Slack checklist, while the JSON report still lists every check as `error`.
 * Real `main()`, the Kubernetes API stand-in (hung) and a closed port (unreachable).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHECK_IDS } from '../../src/checks/index.js';
import { main } from '../../src/cli.js';
import { parseArgs } from '../../src/cli/parse-args.js';
import { DEFAULT_KUBE_TIMEOUT_MS, loadConfig } from '../../src/config.js';
import type { Report } from '../../src/engine/report.js';
import { renderChecklist, renderSummary } from '../../src/render/slack-blocks.js';
import { captureIo } from '../support/capture-io.js';
import { freePort } from '../support/free-port.js';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server.js';
import { expectNoStackTrace } from './fixtures/support.js';

/** Module loading, the checks and a loaded CI machine, on top of the deadline itself. */
const MARGIN_MS = 2_500;

const occurrences = (text: string, part: string) => text.split(part).length - 1;

describe('a Kubernetes API that hangs or is unreachable', () => {
  let dir: string;
  let hung: KubeApiServer;
  let hungConfig: string;
  let closedConfig: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jwtcheck-kube-unreachable-'));
    hung = await startKubeApiServer({ objects: [], failing: [{ pattern: '* *', status: 'hang' }] });
    hungConfig = hung.writeKubeconfig(dir);
    closedConfig = join(dir, 'closed.yaml');
    writeFileSync(closedConfig, hung.kubeconfigYaml.replace(hung.url, `http://127.0.0.1:${await freePort()}`));
    // Warm the module cache so the timings below measure the diagnosis, not the first import.
    await main(['diagnose', 'httpbin', 'foo', '--json'], captureIo({ env: { KUBECONFIG: closedConfig } }));
  });
  afterAll(async () => {
    await hung.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function diagnose(args: string[], env: Record<string, string>) {
    const io = captureIo({ env });
    const started = performance.now();
    const code = await main(['diagnose', 'httpbin', 'foo', ...args], io);
    return { code, out: io.out(), err: io.err(), elapsedMs: performance.now() - started };
  }

  it('the deadline has a documented default and is read from JWTCHECK_KUBE_TIMEOUT_MS and --timeout', () => {
    expect(DEFAULT_KUBE_TIMEOUT_MS).toBe(10_000);
    expect(loadConfig({}).kubeTimeoutMs).toBe(DEFAULT_KUBE_TIMEOUT_MS);
    expect(loadConfig({ JWTCHECK_KUBE_TIMEOUT_MS: '2500' }).kubeTimeoutMs).toBe(2500);
    expect(() => loadConfig({ JWTCHECK_KUBE_TIMEOUT_MS: 'soon' })).toThrow(/JWTCHECK_KUBE_TIMEOUT_MS must be a whole number/);
    const timeout = (value: string) => (parseArgs(['diagnose', 'a', 'b', '--timeout', value]) as { timeoutMs?: number }).timeoutMs;
    expect([timeout('5s'), timeout('1500ms'), timeout('2m'), timeout('3')]).toEqual([5000, 1500, 120_000, 3000]);
    for (const bad of ['0', '-1s', 'soon', '5h']) expect(() => timeout(bad)).toThrow(/--timeout/);
  });

  it.each([
    ['JWTCHECK_KUBE_TIMEOUT_MS=1000', [], { JWTCHECK_KUBE_TIMEOUT_MS: '1000' }],
    ['--timeout 1s', ['--timeout', '1s'], {}],
    ['--timeout wins over the variable', ['--timeout', '1s'], { JWTCHECK_KUBE_TIMEOUT_MS: '60000' }],
  ] as const)('a hung API ends the diagnosis at the deadline (%s): exit 3, one sentence naming the setting', async (_name, args, env) => {
    const run = await diagnose([...args], { KUBECONFIG: hungConfig, ...env });
    expect(run.code).toBe(3);
    expect(run.elapsedMs).toBeLessThan(1000 + MARGIN_MS);
    expect(run.err).toMatch(/did not answer within 1 s/);
    expect(run.err).toMatch(/JWTCHECK_KUBE_TIMEOUT_MS|--timeout/);
    expectNoStackTrace(run.out + run.err);
  });

  it.each([
    ['unreachable', () => closedConfig, /Cannot reach the Kubernetes API/],
    ['hung', () => hungConfig, /did not answer within 1 s/],
  ] as const)('%s: the terminal says it once, naming every check it stopped', async (_name, kubeconfig, sentence) => {
    const run = await diagnose(['--timeout', '1s'], { KUBECONFIG: kubeconfig() });
    const detail = run.out.split('\n').find((l) => sentence.test(l)) ?? '';
    const once = detail.replace(/^.*?(Cannot reach|The Kubernetes API)/, '$1');
    expect(once.length).toBeGreaterThan(40);
    expect(occurrences(run.out, once)).toBe(1);
    const stopped = CHECK_IDS.filter((id) => id !== 'token.format' && id !== 'token.time');
    const named = run.out.split('\n').find((l) => /20 checks/.test(l)) ?? '';
    for (const id of stopped) expect([id, named.includes(id)]).toEqual([id, true]);
    expect(run.out.trim().split('\n').length).toBeLessThanOrEqual(14);
  });

  it('unreachable: the JSON report keeps its contract (every check id, status error)', async () => {
    const run = await diagnose(['--json'], { KUBECONFIG: closedConfig });
    const report = JSON.parse(run.out) as Report;
    expect([...new Set(report.checks.map((c) => c.id))]).toEqual([...CHECK_IDS]);
    expect(report.checks.filter((c) => c.status === 'error')).toHaveLength(20);
    expect(report.counts.error).toBe(20);
  });

  it('unreachable: the Slack checklist and summary say it once, naming the checks; every check keeps its block', async () => {
    const run = await diagnose(['--json'], { KUBECONFIG: closedConfig });
    const report = JSON.parse(run.out) as Report;
    const detail = report.checks.find((c) => c.id === 'workload.service')?.detail ?? '';
    const texts = renderChecklist(report).flatMap((m) => m.blocks.map((b) => (b.type === 'section' && b.text ? b.text.text : '')));
    const all = texts.join('\n');
    expect(occurrences(all, detail.slice(0, 60))).toBe(1);
    const grouped = texts.find((t) => t.includes(detail.slice(0, 60))) ?? '';
    for (const id of ['workload.service', 'workload.pods', 'istiod.jwks-fetch']) expect(grouped).toContain(id);
    // DESIGN §7: one block per result; the stopped checks point to the block that tells the reason.
    const blocks = renderChecklist(report).flatMap((m) => m.blocks);
    expect(blocks).toHaveLength(report.checks.length);
    expect(texts.filter((t) => t.includes('Not run: the same reason as `workload.service` above.'))).toHaveLength(19);
    const summary = renderSummary(report);
    expect(summary?.blocks.length).toBe(1);
    expect((summary?.blocks[0] as { text: { text: string } }).text.text.split('\n').length).toBeLessThanOrEqual(3);
  });
});
