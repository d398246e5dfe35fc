#!/usr/bin/env node
/**
 * `jwtcheck`: the command line (DESIGN §5). Thin: parse, wire the sources, run the engine, render.
 * Every failure ends in one sentence on stderr and an exit code; never a stack trace.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs, USAGE, type CliCommand } from './cli/parse-args.js';
import { isJwtcheckError } from './errors.js';
import { maskSecrets } from './lib/logger.js';

import { EXIT_COULD_NOT_RUN, EXIT_OK, EXIT_USAGE, type CliIo } from './cli/io.js';

export type { CliIo } from './cli/io.js';

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let command: CliCommand;
  try {
    command = parseArgs(argv);
  } catch (err) {
    io.stderr.write(`jwtcheck: ${describe(err)}\n`);
    return EXIT_USAGE;
  }
  try {
    switch (command.command) {
      case 'help':
        io.stdout.write(`${USAGE}\n`);
        return EXIT_OK;
      case 'version':
        io.stdout.write(`${packageVersion()}\n`);
        return EXIT_OK;
      // Each subcommand is loaded only when used: the Kubernetes client alone costs ~1 s to import.
      case 'decode': {
        const { runDecode } = await import('./cli/decode-command.js');
        return await runDecode(command, io);
      }
      case 'diagnose': {
        const { runDiagnose } = await import('./cli/diagnose-command.js');
        return await runDiagnose(command, io);
      }
      case 'demo': {
        const { runDemo } = await import('./cli/demo-command.js');
        return await runDemo(command, io);
      }
      case 'app': {
        const { runAppCommand } = await import('./cli/serve-commands.js');
        return await runAppCommand(io);
      }
      case 'worker': {
        const { runWorkerCommand } = await import('./cli/serve-commands.js');
        return await runWorkerCommand(io);
      }
    }
  } catch (err) {
    io.stderr.write(`jwtcheck: ${describe(err)}\n`);
    if (isJwtcheckError(err) && err.code === 'usage') return EXIT_USAGE;
    return EXIT_COULD_NOT_RUN;
  }
}

function describe(err: unknown): string {
  if (isJwtcheckError(err)) return maskSecrets(err.message);
  return maskSecrets(`unexpected error: ${err instanceof Error ? err.message : String(err)}`);
}

export function packageVersion(): string {
  // src/cli.ts (tsx) and dist/src/cli.js sit at different depths below package.json.
  for (const up of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'jwtcheck') return pkg.version ?? 'unknown';
    } catch {
      // not at this depth
    }
  }
  return 'unknown';
}

// Run only when executed directly (dist/src/cli.js, tsx src/cli.ts or the npm bin link), not when imported by tests.
if (isMainModule()) {
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env }).then(
    (code) => {
      process.exitCode = code;
    },
  );
}

function isMainModule(): boolean {
  const invoked = process.argv[1];
  if (!invoked) return false;
  try {
    return realpathSync(invoked) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}
