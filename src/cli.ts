#!/usr/bin/env node
/**
 * `jwtcheck`: the command line (DESIGN §5). The entry point only: the dispatcher is src/cli/main.ts, so
 * the kubectl plugin entry (src/kubectl-jwtcheck.ts) can share it without this file's self-start.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isMainModule, main } from './cli/main.js';

export type { CliIo } from './cli/io.js';
export { main, packageVersion } from './cli/main.js';
export { pluginArgv } from './cli/plugin-argv.js';

// Run only when executed directly (dist/cli.js, tsx src/cli.ts or the npm bin link), not when imported by tests.
if (isMainModule(import.meta.url, process.argv[1], realpathSync, fileURLToPath)) {
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env }).then((code) => {
    process.exitCode = code;
  });
}
