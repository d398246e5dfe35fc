import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../config.js';
import type { CheckResult } from '../engine/check.js';
import { CHECKS } from '../checks/index.js';
import { diagnose } from '../diagnose.js';
import type { Report } from '../engine/report.js';
import type { DocumentFetcher } from '../model/document-fetcher.js';
import { RecordedFetcher } from '../evidence/recorded-fetcher.js';
import { SnapshotClusterSource } from '../evidence/snapshot-source.js';
import type { ClusterSource } from '../model/cluster-source.js';
import { JwtcheckError } from '../errors.js';
import { renderJson } from '../render/json.js';
import { renderTerminal } from '../render/terminal.js';
import type { OutputFormat } from './commands.js';
import { EXIT_CHECK_FAILED, EXIT_COULD_NOT_RUN, EXIT_OK, type CliIo } from './io.js';
import type { DiagnoseArgs } from './parse-args.js';
import { progressLine } from './progress.js';
import { readTokenFile } from './read-input.js';
import { formatStructured } from './structured-output.js';

const YAML_FILE = /\.(ya?ml|json)$/i;
/** A folder's log files, classified like --logs (snapshot-source.ts classifyLogFile). */
const LOG_FILE = /\.log$/i;
/** As kubectl: no -n and a context without a namespace means "default". */
const DEFAULT_NAMESPACE = 'default';

interface Wired {
  source: ClusterSource;
  namespace: string;
  judgeAt?: Date;
}

export async function runDiagnose(args: DiagnoseArgs, io: CliIo): Promise<number> {
  const config = loadConfig(io.env, { role: 'cli' });
  const token = args.tokenFile !== undefined ? await readTokenFile(args.tokenFile, io.stdin) : args.token;
  const { source, namespace, judgeAt } = args.files.length > 0 ? offline(args, io) : await live(args, io, args.timeoutMs ?? config.kubeTimeoutMs);
  // undefined: diagnose() loads the live guarded fetcher (and undici) only then.
  const fetcher: DocumentFetcher | undefined = args.issuerRecording ? RecordedFetcher.fromFile(args.issuerRecording) : undefined;
  const progress = progressLine(io.stderr, CHECKS);
  let report: Report;
  try {
    report = await diagnose({
      target: { service: args.service, namespace, cluster: source.name },
      source,
      fetcher,
      token,
      rootNamespace: config.rootNamespace,
      logLines: args.logLines ?? config.logLines,
      fetchTimeoutMs: config.fetchTimeoutMs,
      proxy: config.proxy,
      judgeAt,
      onResult: progress?.onResult,
    });
  } finally {
    progress?.stop();
  }
  return writeReport(report, args.output, io);
}

/** --files: the YAML and logs given, a folder's YAML and .log files, and the snapshot's capture time. */
function offline(args: DiagnoseArgs, io: CliIo): Wired {
  const { yaml, logs } = expandFiles(args.files);
  // --logs first: when two files are the same log, the one named explicitly is read. A log named by
  // --logs that the folder also gave is read once.
  const logPaths = [...new Map([...args.logs, ...logs].map((p) => [resolve(p), p])).values()];
  const source = SnapshotClusterSource.fromFiles(yaml, logPaths);
  for (const line of source.describeLogs()) io.stderr.write(`jwtcheck: log ${line}\n`);
  return { source, namespace: args.namespace ?? DEFAULT_NAMESPACE, judgeAt: source.capturedAt() };
}

async function live(args: DiagnoseArgs, io: CliIo, requestTimeoutMs: number): Promise<Wired> {
  // Loaded here only: the Kubernetes client costs ~1 s to import, and offline runs never need it.
  const { LiveClusterSource } = await import('../evidence/kube-live.js');
  const source = LiveClusterSource.fromKubeconfig({
    context: args.context,
    kubeconfigPath: args.kubeconfig ?? io.env['KUBECONFIG'],
    requestTimeoutMs,
  });
  return { source, namespace: args.namespace ?? source.contextNamespace ?? DEFAULT_NAMESPACE };
}

export async function writeReport(report: Report, output: OutputFormat, io: CliIo): Promise<number> {
  io.stdout.write(
    output === 'json' ? `${renderJson(report)}\n` : output === 'yaml' ? await formatStructured(report, 'yaml') : renderTerminal(report, { color: useColor(io) }),
  );
  const code = exitCodeFor(report.checks);
  if (code === EXIT_COULD_NOT_RUN) {
    const why = report.checks.find((r) => r.id === 'workload.service');
    io.stderr.write(`jwtcheck: the diagnosis could not run: ${why?.detail ?? 'the cluster could not be read'}\n`);
  }
  return code;
}

/** DESIGN §5: 1 when a check failed; 3 when the cluster could not be read at all (nothing was diagnosed). */
export function exitCodeFor(results: readonly CheckResult[]): number {
  const service = results.find((r) => r.id === 'workload.service');
  if (service?.status === 'error') return EXIT_COULD_NOT_RUN;
  return results.some((r) => r.status === 'fail') ? EXIT_CHECK_FAILED : EXIT_OK;
}

function useColor(io: CliIo): boolean {
  return Boolean(io.stdout.isTTY) && io.env['NO_COLOR'] === undefined && io.env['TERM'] !== 'dumb';
}

/**
 * `--files` takes files and folders; a folder contributes its YAML/JSON files as objects and its .log
 * files as logs (not recursively), the logs named by the same rule as --logs.
 */
function expandFiles(paths: readonly string[]): { yaml: string[]; logs: string[] } {
  const yaml: string[] = [];
  const logs: string[] = [];
  for (const path of paths) {
    let stat;
    try {
      stat = statSync(path);
    } catch {
      throw new JwtcheckError('usage', `${path} does not exist.`);
    }
    if (!stat.isDirectory()) {
      yaml.push(path);
      continue;
    }
    const names = readdirSync(path).sort();
    const found = names.filter((f) => YAML_FILE.test(f)).map((f) => join(path, f));
    if (found.length === 0) throw new JwtcheckError('usage', `${path} holds no .yaml, .yml or .json file.`);
    yaml.push(...found);
    logs.push(...names.filter((f) => LOG_FILE.test(f)).map((f) => join(path, f)));
  }
  return { yaml, logs };
}
