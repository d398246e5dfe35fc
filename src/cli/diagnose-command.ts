import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../config.js';
import type { CheckResult } from '../engine/check.js';
import { diagnose } from '../diagnose.js';
import type { Report } from '../engine/report.js';
import type { ClusterSource } from '../model/cluster-source.js';
import type { DocumentFetcher } from '../model/document-fetcher.js';
import { GuardedFetcher } from '../evidence/guarded-fetch.js';
import { LiveClusterSource } from '../evidence/kube-live.js';
import { RecordedFetcher } from '../evidence/recorded-fetcher.js';
import { SnapshotClusterSource } from '../evidence/snapshot-source.js';
import { JwtcheckError } from '../errors.js';
import { renderJson } from '../render/json.js';
import { renderTerminal } from '../render/terminal.js';
import { EXIT_CHECK_FAILED, EXIT_COULD_NOT_RUN, EXIT_OK, type CliIo } from './io.js';
import type { DiagnoseArgs } from './parse-args.js';
import { readTokenFile } from './read-input.js';

const YAML_FILE = /\.(ya?ml|json)$/i;

export async function runDiagnose(args: DiagnoseArgs, io: CliIo): Promise<number> {
  const config = loadConfig(io.env, { role: 'cli' });
  const token = args.tokenFile !== undefined ? await readTokenFile(args.tokenFile, io.stdin) : args.token;
  const source: ClusterSource =
    args.files.length > 0
      ? SnapshotClusterSource.fromFiles(expandFiles(args.files), args.logs)
      : LiveClusterSource.fromKubeconfig({
          context: args.context,
          kubeconfigPath: io.env['KUBECONFIG'],
          requestTimeoutMs: args.timeoutMs ?? config.kubeTimeoutMs,
        });
  const fetcher: DocumentFetcher = args.issuerRecording
    ? RecordedFetcher.fromFile(args.issuerRecording)
    : new GuardedFetcher({ timeoutMs: config.fetchTimeoutMs, proxy: config.proxy });
  const report = await diagnose({
    target: { service: args.service, namespace: args.namespace, cluster: source.name },
    source,
    fetcher,
    token,
    rootNamespace: config.rootNamespace,
    logLines: args.logLines ?? config.logLines,
    fetchTimeoutMs: config.fetchTimeoutMs,
  });
  return writeReport(report, args.json, io);
}

export function writeReport(report: Report, json: boolean, io: CliIo): number {
  io.stdout.write(json ? `${renderJson(report)}\n` : renderTerminal(report, { color: useColor(io) }));
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

/** `--files` takes files and folders; a folder contributes its YAML/JSON files (not recursively). */
function expandFiles(paths: readonly string[]): string[] {
  return paths.flatMap((path) => {
    let stat;
    try {
      stat = statSync(path);
    } catch {
      throw new JwtcheckError('usage', `${path} does not exist.`);
    }
    if (!stat.isDirectory()) return [path];
    const files = readdirSync(path).filter((f) => YAML_FILE.test(f)).sort().map((f) => join(path, f));
    if (files.length === 0) throw new JwtcheckError('usage', `${path} holds no .yaml, .yml or .json file.`);
    return files;
  });
}
