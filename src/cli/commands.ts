/**
 * What each subcommand accepts, as data: the parser, `<command> --help` and the completion scripts all
 * read this table, so an option added here (say diagnose's --timeout) is parsed, documented and completed
 * at once. Flags follow kubectl's habits (krew plugin best practices): -n/--namespace, --context,
 * --kubeconfig, -o text|json|yaml, -h/--help, and `--` ends the options.
 */

export type OptionKind = 'bool' | 'one' | 'many';
export type OutputFormat = 'text' | 'json' | 'yaml';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['text', 'json', 'yaml'];

export interface OptionSpec {
  long: string;
  short?: string;
  kind: OptionKind;
  /** The value's placeholder in help, e.g. NAME. */
  value?: string;
  /** Fixed values, offered by completion and checked by the parser. */
  choices?: readonly string[];
  /** Completion offers file names for the value. */
  files?: boolean;
  help: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  options: readonly OptionSpec[];
  examples: readonly string[];
  /** Words completion offers as the first argument. */
  words?: readonly string[];
}

const HELP: OptionSpec = { long: 'help', short: 'h', kind: 'bool', help: 'Show this help and exit.' };
const OUTPUT: OptionSpec = { long: 'output', short: 'o', kind: 'one', value: 'FORMAT', choices: OUTPUT_FORMATS, help: 'Output format: text (default), json (the version 1 report) or yaml.' };
const JSON_ALIAS: OptionSpec = { long: 'json', kind: 'bool', help: 'Same as -o json.' };

export const DIAGNOSE: CommandSpec = {
  name: 'diagnose',
  summary: 'Diagnose JWT authentication for a Service, live or from saved files.',
  usage: 'jwtcheck diagnose <service> [<namespace>] | <service>.<namespace> | <namespace>/<service> [options]',
  options: [
    { long: 'namespace', short: 'n', kind: 'one', value: 'NAME', help: "The Service's namespace (default: the kube context's namespace, else \"default\")." },
    { long: 'context', kind: 'one', value: 'NAME', help: 'The kubeconfig context to use (default: the current context).' },
    { long: 'kubeconfig', kind: 'one', value: 'PATH', files: true, help: 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config).' },
    { long: 'token', kind: 'one', value: 'JWT', help: 'The token a caller sent (prefer --token-file: this lands in shell history).' },
    { long: 'token-file', kind: 'one', value: 'PATH|-', files: true, help: 'Read the token from a file, or from standard input with "-".' },
    OUTPUT,
    JSON_ALIAS,
    { long: 'log-lines', kind: 'one', value: 'N', help: 'Log lines read per container (default $JWTCHECK_LOG_LINES, else 500).' },
    { long: 'timeout', kind: 'one', value: 'DURATION', help: 'One deadline for the Kubernetes requests, like 10s or 500ms (default $JWTCHECK_KUBE_TIMEOUT_MS, else 10s).' },
    { long: 'files', kind: 'many', value: 'PATH...', files: true, help: 'Diagnose offline from YAML files and folders (a folder also gives its .log files).' },
    { long: 'logs', kind: 'many', value: 'PATH...', files: true, help: 'Log files for --files: *istiod*/*discovery* = istiod, <pod>.log = that pod, other = every pod.' },
    { long: 'issuer-recording', kind: 'one', value: 'FILE', files: true, help: "Replay recorded issuer answers instead of fetching (see examples/)." },
    HELP,
  ],
  examples: [
    'jwtcheck diagnose httpbin -n foo --token-file token.jwt',
    'jwtcheck diagnose httpbin.foo -o json --context prod',
    'jwtcheck diagnose httpbin foo --files examples/seed-httpbin-foo --issuer-recording examples/seed-httpbin-foo/issuer-recording.yaml',
  ],
};

export const DECODE: CommandSpec = {
  name: 'decode',
  summary: "Show a token's header, claims, times in words and warnings (never its signature).",
  usage: 'jwtcheck decode [<JWT> | <file> | -] [options]',
  options: [OUTPUT, JSON_ALIAS, HELP],
  examples: ['jwtcheck decode examples/seed-httpbin-foo/token.jwt', 'pbpaste | jwtcheck decode -', 'jwtcheck decode eyJhbGciOi… -o yaml'],
};

export const DEMO: CommandSpec = {
  name: 'demo',
  summary: 'Diagnose the bundled example (httpbin in foo, an expired token) with no cluster or network.',
  usage: 'jwtcheck demo [options]',
  options: [OUTPUT, JSON_ALIAS, HELP],
  examples: ['jwtcheck demo', 'jwtcheck demo -o json'],
};

export const COMPLETION: CommandSpec = {
  name: 'completion',
  summary: 'Print a shell completion script for bash, zsh or fish.',
  usage: 'jwtcheck completion bash|zsh|fish',
  options: [HELP],
  words: ['bash', 'zsh', 'fish'],
  examples: ['source <(jwtcheck completion bash)', 'jwtcheck completion fish > ~/.config/fish/completions/jwtcheck.fish'],
};

export const APP: CommandSpec = {
  name: 'app',
  summary: 'Start the Slack app (configured by environment variables, see .env.example).',
  usage: 'jwtcheck app',
  options: [HELP],
  examples: ['SLACK_BOT_TOKEN=xoxb-… SLACK_APP_TOKEN=xapp-… jwtcheck app'],
};

export const WORKER: CommandSpec = {
  name: 'worker',
  summary: 'Start a queue worker (REDIS_URL, JOB_ENCRYPTION_KEY, KUBECONFIG).',
  usage: 'jwtcheck worker',
  options: [HELP],
  examples: ['REDIS_URL=redis://localhost:6379 JOB_ENCRYPTION_KEY=… jwtcheck worker'],
};

export const COMMANDS: readonly CommandSpec[] = [DIAGNOSE, DECODE, DEMO, COMPLETION, APP, WORKER];

export const EXIT_CODES_LINE = 'Exit codes: 0 no check failed, 1 a check failed, 2 usage error, 3 the diagnosis could not run.';

export const USAGE = `Usage:
  jwtcheck diagnose <service> <namespace> [--token JWT | --token-file PATH|-] [-o text|json|yaml] [--json]
                    [-n NAME] [--context NAME] [--kubeconfig PATH] [--log-lines N] [--timeout DURATION]
                    [--files PATH... [--logs PATH...]] [--issuer-recording FILE]
  jwtcheck decode [JWT | FILE | -] [-o text|json|yaml]
  jwtcheck demo [-o text|json|yaml]
  jwtcheck completion bash|zsh|fish
  jwtcheck app | worker
  jwtcheck <command> --help     every option of a command, with examples
  kubectl jwtcheck <service> -n <namespace>   (the kubectl-jwtcheck plugin: diagnose)
${EXIT_CODES_LINE}`;

function optionLabel(o: OptionSpec): string {
  const names = o.short ? `-${o.short}, --${o.long}` : `    --${o.long}`;
  return o.value ? `${names} ${o.value}` : names;
}

/** `jwtcheck <command> --help`: usage, every option, examples. */
export function commandHelp(spec: CommandSpec): string {
  const labels = spec.options.map(optionLabel);
  const width = Math.max(...labels.map((l) => l.length));
  return [
    spec.summary,
    '',
    `Usage: ${spec.usage}`,
    '',
    'Options:',
    ...spec.options.map((o, i) => `  ${(labels[i] ?? '').padEnd(width)}  ${o.help}`),
    '',
    'Examples:',
    ...spec.examples.map((e) => `  ${e}`),
    ...(spec === DIAGNOSE ? ['', EXIT_CODES_LINE] : []),
  ].join('\n');
}
