#!/usr/bin/env node
/**
 * `npm run build` (and `prepack`): bundles the command line with esbuild into dist/, one chunk per
 * subcommand (code splitting), so the published package carries its runtime dependencies at the versions
 * this repo tests — undici 7 instead of the undici 8 that @kubernetes/client-node 2 would pull in on a fresh
 * install and that crashes on Node 20 — and `--help` or `decode` load only what they use.
 */
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist');
rmSync(outdir, { recursive: true, force: true });

const common = {
  absWorkingDir: root,
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  // The oldest Node in package.json's engines.
  target: 'node20.19',
  chunkNames: 'chunks/[name]-[hash]',
  // CommonJS dependencies call require(): give the ESM bundle one.
  banner: { js: "import { createRequire as __jwtcheckRequire } from 'node:module'; const require = __jwtcheckRequire(import.meta.url);" },
  // msgpackr's native accelerator (via BullMQ) is optional: msgpackr falls back to JavaScript without it.
  external: ['msgpackr-extract'],
  // Smaller files parse faster: V8 pre-parses every byte of a module it loads. Stack traces are never
  // shown to users (every failure is a sentence), so names are kept only where code reads them.
  minify: true,
  keepNames: true,
  legalComments: 'linked',
  logLevel: 'warning',
};

// One entry: what `--help` loads is dist/cli.js and the few chunks it shares with the subcommands.
await build({ ...common, entryPoints: { cli: 'src/cli.ts' } });
// The kubectl plugin entry imports dist/cli.js at run time instead of a second copy of the graph (a second
// entry point would split cli.js's code into more chunks, each one more file to load on every start).
await build({ ...common, entryPoints: { 'kubectl-jwtcheck': 'src/kubectl-jwtcheck.ts' }, external: [...common.external, './cli.js'] });
// In-process mode's diagnosis thread (src/queue/thread-runner.ts starts dist/diagnosis-thread.js): a worker_threads
// entry of its own, since a thread loads its own module graph anyway.
await build({ ...common, entryPoints: { 'diagnosis-thread': 'src/diagnosis-thread.ts' } });
