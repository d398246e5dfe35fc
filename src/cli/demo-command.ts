import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { loadConfig } from '../config.js';
import { diagnose } from '../diagnose.js';
import { RecordedFetcher } from '../evidence/recorded-fetcher.js';
import { SnapshotClusterSource } from '../evidence/snapshot-source.js';
import { JwtcheckError } from '../errors.js';
import type { OutputFormat } from './commands.js';
import type { CliIo } from './io.js';
import { writeReport } from './diagnose-command.js';

export const DEMO_BUNDLE = 'examples/seed-httpbin-foo';

/** The bundle sits at the package root; src/cli (tsx), dist/ and dist/chunks/ (the bundle) are at different depths. */
export function findDemoBundle(): string {
  for (const up of ['..', '../..', '../../..']) {
    const dir = fileURLToPath(new URL(`${up}/${DEMO_BUNDLE}/`, import.meta.url));
    if (existsSync(join(dir, 'cluster.yaml'))) return dir;
  }
  throw new JwtcheckError('config', `The demo bundle ${DEMO_BUNDLE} is missing from this installation.`);
}

/**
 * `jwtcheck demo`: the seed case (httpbin in foo, Istio 1.0, a legacy Policy whose issuer is a
 * service-account e-mail with a jwksUri) diagnosed from a snapshot: no cluster, Slack, Redis or network.
 * Times are judged at the snapshot's capturedAt (snapshot.yaml), so the output is the same every day.
 */
export async function runDemo(args: { output: OutputFormat }, io: CliIo): Promise<number> {
  const dir = findDemoBundle();
  const config = loadConfig(io.env, { role: 'cli' });
  const source = SnapshotClusterSource.fromFiles(
    [join(dir, 'cluster.yaml'), join(dir, 'snapshot.yaml')],
    [join(dir, 'httpbin.istio-proxy.log'), join(dir, 'istio-pilot-discovery.log')],
  );
  const report = await diagnose({
    target: { service: 'httpbin', namespace: 'foo', cluster: 'demo' },
    source,
    fetcher: RecordedFetcher.fromFile(join(dir, 'issuer-recording.yaml')),
    token: readFileSync(join(dir, 'token.jwt'), 'utf8'),
    rootNamespace: config.rootNamespace,
    logLines: config.logLines,
    judgeAt: source.capturedAt(),
  });
  if (args.output === 'text') io.stdout.write(`Demo: the bundled snapshot in ${DEMO_BUNDLE}/ (no cluster, Slack, Redis or network needed)\n\n`);
  await writeReport(report, args.output, io);
  // The demo's purpose is to show a failing diagnosis; it succeeds when it ran.
  return 0;
}
