/**
 * DESIGN §5 command line, parsed from the option tables in commands.ts (no framework: `--files a.yaml
 * b.yaml` takes every value up to the next option, which node:util parseArgs cannot express). Pure:
 * returns a command or throws a usage error.
 */
import { NAME_RULE, isValidName, splitQualifiedName } from '../lib/names.js';
import { MAX_KUBE_TIMEOUT_MS } from '../config.js';
import { JwtcheckError } from '../errors.js';
import { COMMANDS, COMPLETION, DECODE, DEMO, DIAGNOSE, USAGE, commandHelp, type CommandSpec, type OptionSpec, type OutputFormat } from './commands.js';

export { USAGE };

export interface DiagnoseArgs {
  command: 'diagnose';
  service: string;
  /** undefined: the kube context's namespace (live), else "default". */
  namespace?: string;
  token?: string;
  tokenFile?: string;
  output: OutputFormat;
  context?: string;
  kubeconfig?: string;
  logLines?: number;
  /** --timeout: the deadline for the diagnosis' Kubernetes requests (overrides JWTCHECK_KUBE_TIMEOUT_MS). */
  timeoutMs?: number;
  files: string[];
  logs: string[];
  /** Recorded issuer answers for offline runs (extra to the contract). */
  issuerRecording?: string;
}

export type Shell = 'bash' | 'zsh' | 'fish';

export type CliCommand =
  | DiagnoseArgs
  | { command: 'decode'; token?: string; output: OutputFormat }
  | { command: 'demo'; output: OutputFormat }
  | { command: 'completion'; shell: Shell }
  | { command: 'app' }
  | { command: 'worker' }
  | { command: 'help'; text: string }
  | { command: 'version' };

const MAX_LOG_LINES = 10_000;
/** kubectl's --request-timeout spelling: a number with ms, s or m; a bare number is seconds. */
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m)?$/;
const DURATION_UNIT_MS = { ms: 1, s: 1000, m: 60_000 } as const;

const usage = (message: string, help = USAGE) => new JwtcheckError('usage', `${message}\n\n${help}`);

export function parseArgs(argv: readonly string[]): CliCommand {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case '--help':
    case '-h':
      return { command: 'help', text: USAGE };
    case 'help': {
      const spec = COMMANDS.find((c) => c.name === rest[0]);
      if (rest.length > 0 && !spec) throw usage(`No help for "${rest[0]}": there is no such command.`);
      return { command: 'help', text: spec ? commandHelp(spec) : USAGE };
    }
    case 'version':
    case '--version':
    case '-v':
      return { command: 'version' };
  }
  const spec = COMMANDS.find((c) => c.name === command);
  if (!spec) throw usage(`Unknown command "${command}".`);
  const { flags, positionals } = split(rest, spec);
  if (flags['help'] === true) return { command: 'help', text: commandHelp(spec) };
  switch (spec.name) {
    case 'diagnose':
      return parseDiagnose(flags, positionals);
    case 'decode':
      if (positionals.length > 1) throw usage('"decode" takes one token, a file holding one, or "-" to read standard input.', commandHelp(DECODE));
      return { command: 'decode', token: positionals[0], output: outputOf(flags, DECODE) };
    case 'demo':
      if (positionals.length > 0) throw usage('"demo" takes no arguments.', commandHelp(DEMO));
      return { command: 'demo', output: outputOf(flags, DEMO) };
    case 'completion': {
      const [shell, ...extra] = positionals;
      if (shell !== 'bash' && shell !== 'zsh' && shell !== 'fish' || extra.length > 0) {
        throw usage('"completion" takes one shell: bash, zsh or fish.', commandHelp(COMPLETION));
      }
      return { command: 'completion', shell };
    }
    default:
      if (positionals.length > 0) throw usage(`"${spec.name}" takes no arguments; configure it with environment variables (see .env.example).`);
      return { command: spec.name as 'app' | 'worker' };
  }
}

type Flags = Record<string, string | string[] | boolean>;

/** -o FORMAT, with --json as its alias; both given must agree. */
function outputOf(flags: Flags, spec: CommandSpec): OutputFormat {
  const output = flags['output'] as OutputFormat | undefined;
  if (flags['json'] === true && output !== undefined && output !== 'json') throw usage(`--json and -o ${output} disagree: give one.`, commandHelp(spec));
  return flags['json'] === true ? 'json' : (output ?? 'text');
}

/** `httpbin foo`, `httpbin -n foo`, `httpbin.foo` and `foo/httpbin` name the same Service (as in Slack). */
function target(flags: Flags, positionals: readonly string[]): { service: string; namespace?: string } {
  const [first, second, ...extra] = positionals;
  const help = commandHelp(DIAGNOSE);
  if (!first) throw usage('"diagnose" needs a service, e.g. jwtcheck diagnose httpbin -n foo (or httpbin.foo).', help);
  if (extra.length > 0) throw usage(`Unexpected argument "${extra[0]}".`, help);
  const qualified = second === undefined ? splitQualifiedName(first) : undefined;
  const service = qualified?.service ?? first;
  const given = [qualified?.namespace, second, flags['namespace'] as string | undefined].filter((n): n is string => n !== undefined);
  if (new Set(given).size > 1) throw usage(`Two namespaces given (${[...new Set(given)].join(' and ')}): name it once.`, help);
  const namespace = given[0];
  for (const [what, name] of [['service', service], ['namespace', namespace]] as const) {
    if (name !== undefined && !isValidName(name)) throw usage(`"${name}" is not a valid ${what} name (${NAME_RULE}).`, help);
  }
  return { service, namespace };
}

function parseDiagnose(flags: Flags, positionals: readonly string[]): DiagnoseArgs {
  const help = commandHelp(DIAGNOSE);
  const { service, namespace } = target(flags, positionals);
  if (flags['token'] !== undefined && flags['token-file'] !== undefined) throw usage('Give either --token or --token-file, not both.', help);
  const files = (flags['files'] as string[] | undefined) ?? [];
  const logs = (flags['logs'] as string[] | undefined) ?? [];
  if (logs.length > 0 && files.length === 0) throw usage('--logs goes with --files (offline diagnosis); live runs read the pods\' logs themselves.', help);
  if (flags['files'] !== undefined && files.length === 0) throw usage('--files needs at least one YAML file or folder.', help);
  let logLines: number | undefined;
  if (flags['log-lines'] !== undefined) {
    logLines = Number(flags['log-lines']);
    if (!Number.isInteger(logLines) || logLines < 0 || logLines > MAX_LOG_LINES) {
      throw usage(`--log-lines must be a whole number from 0 to ${MAX_LOG_LINES}.`, help);
    }
  }
  let timeoutMs: number | undefined;
  if (flags['timeout'] !== undefined) {
    const match = DURATION.exec(flags['timeout'] as string);
    timeoutMs = match ? Math.round(Number(match[1]) * DURATION_UNIT_MS[(match[2] ?? 's') as keyof typeof DURATION_UNIT_MS]) : undefined;
    if (timeoutMs === undefined || timeoutMs < 100 || timeoutMs > MAX_KUBE_TIMEOUT_MS) {
      throw usage(`--timeout must be a duration from 100ms to ${MAX_KUBE_TIMEOUT_MS / 60_000}m, like 10s or 500ms (got "${flags['timeout'] as string}").`, help);
    }
  }
  return {
    command: 'diagnose',
    service,
    namespace,
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    token: flags['token'] as string | undefined,
    tokenFile: flags['token-file'] as string | undefined,
    output: outputOf(flags, DIAGNOSE),
    context: flags['context'] as string | undefined,
    kubeconfig: flags['kubeconfig'] as string | undefined,
    logLines,
    files,
    logs,
    issuerRecording: flags['issuer-recording'] as string | undefined,
  };
}

/** An option word: `--name`, `--name=value`, `-x`, `-x=value`; a lone "-" is a value (standard input). */
const isOptionWord = (arg: string): boolean => arg.length > 1 && arg.startsWith('-');

function split(args: readonly string[], spec: CommandSpec): { flags: Flags; positionals: string[] } {
  const flags: Flags = {};
  const positionals: string[] = [];
  const help = commandHelp(spec);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!isOptionWord(arg)) {
      positionals.push(arg);
      continue;
    }
    const long = arg.startsWith('--');
    const eq = arg.indexOf('=');
    const name = arg.slice(long ? 2 : 1, eq === -1 ? undefined : eq);
    // A lookup by value, not by key: "--toString" or "--constructor" must be unknown options.
    const option: OptionSpec | undefined = spec.options.find((o) => (long ? o.long === name : o.short === name));
    if (!option) throw usage(`Unknown option "${arg.slice(0, eq === -1 ? undefined : eq)}" for "${spec.name}".`, help);
    const shown = `--${option.long}`;
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    if (option.kind === 'bool') {
      if (inline !== undefined) throw usage(`${shown} takes no value.`, help);
      flags[option.long] = true;
    } else if (option.kind === 'one') {
      const value = inline ?? args[++i];
      // As kubectl (pflag): the next word is the value, even "-1"; only a long option is taken for a forgotten value.
      if (value === undefined || (inline === undefined && value.startsWith('--') && value.length > 2)) throw usage(`${shown} needs a value.`, help);
      if (flags[option.long] !== undefined) throw usage(`${shown} is given twice.`, help);
      if (option.choices && !option.choices.includes(value)) throw usage(`${shown} must be one of ${option.choices.join(', ')}, not "${value}".`, help);
      flags[option.long] = value;
    } else {
      const values = (flags[option.long] as string[] | undefined) ?? [];
      if (inline !== undefined) values.push(inline);
      while (i + 1 < args.length && !isOptionWord(args[i + 1] ?? '')) values.push(args[++i] ?? '');
      flags[option.long] = values;
    }
  }
  return { flags, positionals };
}
