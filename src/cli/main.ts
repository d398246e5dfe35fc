/**
 * `jwtcheck`'s dispatcher (DESIGN §5): parse, then load only the subcommand asked for. `--help`, `decode`
 * and `completion` must never pull in the Kubernetes client (~1 s to import), Bolt, BullMQ or prom-client.
 * Every failure ends in one sentence on stderr and an exit code; never a stack trace.
 */
import { readFileSync } from 'node:fs';
import { parseArgs, type CliCommand } from './parse-args.js';
import { isJwtcheckError } from '../errors.js';
import { maskSecrets } from '../lib/redact.js';
import { EXIT_COULD_NOT_RUN, EXIT_OK, EXIT_USAGE, type CliIo } from './io.js';

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let command: CliCommand;
  try {
    command = parseArgs(argv);
  } catch (err) {
    io.stderr.write(`jwtcheck: ${describe(err)}\n`);
    return EXIT_USAGE;
  }
  try {
    return await run(command, io);
  } catch (err) {
    io.stderr.write(`jwtcheck: ${describe(err)}\n`);
    if (isJwtcheckError(err) && err.code === 'usage') return EXIT_USAGE;
    return EXIT_COULD_NOT_RUN;
  }
}

async function run(command: CliCommand, io: CliIo): Promise<number> {
  switch (command.command) {
    case 'help':
      io.stdout.write(`${command.text}\n`);
      return EXIT_OK;
    case 'version':
      io.stdout.write(`${packageVersion()}\n`);
      return EXIT_OK;
    case 'completion': {
      const { completionScript } = await import('./completion.js');
      io.stdout.write(completionScript(command.shell));
      return EXIT_OK;
    }
    case 'decode': {
      const { runDecode } = await import('./decode-command.js');
      return runDecode(command, io);
    }
    case 'diagnose': {
      const { runDiagnose } = await import('./diagnose-command.js');
      return runDiagnose(command, io);
    }
    case 'demo': {
      const { runDemo } = await import('./demo-command.js');
      return runDemo(command, io);
    }
    case 'app': {
      const { runAppCommand } = await import('./serve-commands.js');
      return runAppCommand(io);
    }
    case 'worker': {
      const { runWorkerCommand } = await import('./serve-commands.js');
      return runWorkerCommand(io);
    }
  }
}

function describe(err: unknown): string {
  if (isJwtcheckError(err)) return maskSecrets(err.message);
  return maskSecrets(`unexpected error: ${err instanceof Error ? err.message : String(err)}`);
}

export function packageVersion(): string {
  // src/cli (tsx), dist/ and dist/chunks/ (the bundle) sit at different depths below package.json.
  for (const up of ['../package.json', '../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'jwtcheck') return pkg.version ?? 'unknown';
    } catch {
      // not at this depth
    }
  }
  return 'unknown';
}

/** True when `entryUrl` (an entry point's import.meta.url) is the script node was started with. */
export function isMainModule(entryUrl: string, invoked: string | undefined, realpath: (p: string) => string, toPath: (u: string) => string): boolean {
  if (!invoked) return false;
  try {
    return realpath(invoked) === toPath(entryUrl);
  } catch {
    return false;
  }
}
