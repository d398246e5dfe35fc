import { COMMANDS } from './commands.js';

const PASS_THROUGH = new Set([...COMMANDS.map((c) => c.name), 'help', 'version', '--help', '-h', '--version', '-v']);

/**
 * The argument vector `jwtcheck` gets for a `kubectl jwtcheck …` invocation: a known subcommand or option
 * runs as it is; anything else is the target of a diagnosis (`kubectl jwtcheck httpbin -n foo`).
 */
export function pluginArgv(argv: readonly string[]): string[] {
  const [first] = argv;
  return first === undefined || PASS_THROUGH.has(first) ? [...argv] : ['diagnose', ...argv];
}
