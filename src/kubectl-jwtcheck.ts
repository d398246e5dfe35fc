#!/usr/bin/env node
/**
 * `kubectl jwtcheck …`: kubectl runs the first `kubectl-jwtcheck` on PATH with the words after the plugin
 * name, unparsed (kubectl's plugin mechanism), so `kubectl jwtcheck httpbin -n foo -o json` arrives here
 * as `httpbin -n foo -o json` and runs `jwtcheck diagnose httpbin -n foo -o json`. The bundle keeps
 * `./cli.js` as an import (scripts/build.mjs), so this entry is a few lines over the same chunks.
 */
import { main, pluginArgv } from './cli.js';

main(pluginArgv(process.argv.slice(2)), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env }).then((code) => {
  process.exitCode = code;
});
