/**
 * DESIGN §5 command line, parsed without a framework: `--files a.yaml b.yaml` takes every value up to
 * the next flag, which node:util parseArgs cannot express. Pure: returns a command or a usage error.
 */
import { NAME_RULE, isValidName } from '../lib/names.js';
import { MAX_KUBE_TIMEOUT_MS } from '../config.js';
import { JwtcheckError } from '../errors.js';

export interface DiagnoseArgs {
  command: 'diagnose';
  service: string;
  namespace: string;
  token?: string;
  tokenFile?: string;
  json: boolean;
  context?: string;
  logLines?: number;
  /** --timeout: the deadline for the diagnosis' Kubernetes requests (overrides JWTCHECK_KUBE_TIMEOUT_MS). */
  timeoutMs?: number;
  files: string[];
  logs: string[];
  /** Recorded issuer answers for offline runs (extra to the contract). */
  issuerRecording?: string;
}

export type CliCommand =
  | DiagnoseArgs
  | { command: 'decode'; token?: string; json: boolean }
  | { command: 'demo'; json: boolean }
  | { command: 'app' }
  | { command: 'worker' }
  | { command: 'help' }
  | { command: 'version' };

export const USAGE = `Usage:
  jwtcheck diagnose <service> <namespace> [--token JWT | --token-file PATH|-] [--json]
                    [--context NAME] [--log-lines N] [--timeout DURATION] [--files PATH... [--logs PATH...]]
  jwtcheck decode [JWT | -] [--json]
  jwtcheck demo [--json]
  jwtcheck app | worker
Exit codes: 0 no check failed, 1 a check failed, 2 usage error, 3 the diagnosis could not run.`;

const MAX_LOG_LINES = 10_000;
/** kubectl's --request-timeout spelling: a number with ms, s or m; a bare number is seconds. */
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m)?$/;
const DURATION_UNIT_MS = { ms: 1, s: 1000, m: 60_000 } as const;

const usage = (message: string) => new JwtcheckError('usage', `${message}\n\n${USAGE}`);

export function parseArgs(argv: readonly string[]): CliCommand {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      return { command: 'help' };
    case 'version':
    case '--version':
    case '-v':
      return { command: 'version' };
    case 'app':
    case 'worker':
      if (rest.length > 0) throw usage(`"${command}" takes no arguments; configure it with environment variables (see .env.example).`);
      return { command };
    case 'demo': {
      const { flags, positionals } = split(rest, { json: 'bool' });
      if (positionals.length > 0) throw usage('"demo" takes no arguments.');
      return { command: 'demo', json: flags.json === true };
    }
    case 'decode': {
      const { flags, positionals } = split(rest, { json: 'bool' });
      if (positionals.length > 1) throw usage('"decode" takes one token (or "-" to read it from standard input).');
      return { command: 'decode', token: positionals[0], json: flags.json === true };
    }
    case 'diagnose':
      return parseDiagnose(rest);
    default:
      throw usage(`Unknown command "${command}".`);
  }
}

function parseDiagnose(rest: readonly string[]): DiagnoseArgs {
  const { flags, positionals } = split(rest, {
    token: 'one',
    'token-file': 'one',
    json: 'bool',
    context: 'one',
    'log-lines': 'one',
    timeout: 'one',
    files: 'many',
    logs: 'many',
    'issuer-recording': 'one',
  });
  const [service, namespace, ...extra] = positionals;
  if (!service || !namespace) throw usage('"diagnose" needs a service and a namespace, e.g. jwtcheck diagnose httpbin foo.');
  if (extra.length > 0) throw usage(`Unexpected argument "${extra[0]}".`);
  for (const [what, name] of [['service', service], ['namespace', namespace]] as const) {
    if (!isValidName(name)) {
      throw usage(`"${name}" is not a valid ${what} name (${NAME_RULE}).`);
    }
  }
  if (flags.token !== undefined && flags['token-file'] !== undefined) throw usage('Give either --token or --token-file, not both.');
  const files = (flags.files as string[] | undefined) ?? [];
  const logs = (flags.logs as string[] | undefined) ?? [];
  if (logs.length > 0 && files.length === 0) throw usage('--logs goes with --files (offline diagnosis); live runs read the pods\' logs themselves.');
  if (flags.files !== undefined && files.length === 0) throw usage('--files needs at least one YAML file or folder.');
  let logLines: number | undefined;
  if (flags['log-lines'] !== undefined) {
    logLines = Number(flags['log-lines']);
    if (!Number.isInteger(logLines) || logLines < 0 || logLines > MAX_LOG_LINES) {
      throw usage(`--log-lines must be a whole number from 0 to ${MAX_LOG_LINES}.`);
    }
  }
  let timeoutMs: number | undefined;
  if (flags.timeout !== undefined) {
    const match = DURATION.exec(flags.timeout as string);
    timeoutMs = match ? Math.round(Number(match[1]) * DURATION_UNIT_MS[(match[2] ?? 's') as keyof typeof DURATION_UNIT_MS]) : undefined;
    if (timeoutMs === undefined || timeoutMs < 100 || timeoutMs > MAX_KUBE_TIMEOUT_MS) {
      throw usage(`--timeout must be a duration from 100ms to ${MAX_KUBE_TIMEOUT_MS / 60_000}m, like 10s or 500ms (got "${flags.timeout as string}").`);
    }
  }
  return {
    command: 'diagnose',
    service,
    namespace,
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    token: flags.token as string | undefined,
    tokenFile: flags['token-file'] as string | undefined,
    json: flags.json === true,
    context: flags.context as string | undefined,
    logLines,
    files,
    logs,
    issuerRecording: flags['issuer-recording'] as string | undefined,
  };
}

type FlagKind = 'bool' | 'one' | 'many';

function split(args: readonly string[], known: Record<string, FlagKind>) {
  const flags: Record<string, string | string[] | boolean> = {};
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (!arg.startsWith('--') || arg === '--') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    // hasOwn: "--toString" or "--constructor" must be unknown options, not Object.prototype members.
    const kind = Object.hasOwn(known, name) ? known[name] : undefined;
    if (!kind) throw usage(`Unknown option "--${name}".`);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    if (kind === 'bool') {
      if (inline !== undefined) throw usage(`--${name} takes no value.`);
      flags[name] = true;
    } else if (kind === 'one') {
      const value = inline ?? args[++i];
      // "-" is a value (standard input), not a flag.
      if (value === undefined || (value.startsWith('--') && value.length > 2)) throw usage(`--${name} needs a value.`);
      if (flags[name] !== undefined) throw usage(`--${name} is given twice.`);
      flags[name] = value;
    } else {
      const values = (flags[name] as string[] | undefined) ?? [];
      if (inline !== undefined) values.push(inline);
      while (i + 1 < args.length && !(args[i + 1] ?? '').startsWith('--')) values.push(args[++i] ?? '');
      flags[name] = values;
    }
  }
  return { flags, positionals };
}
