/**
 * `jwtcheck completion bash|zsh|fish`: scripts generated from the option tables (commands.ts), so they
 * offer exactly what the parser accepts. Namespaces and contexts are asked of kubectl at completion time,
 * as kubectl's own completion does; nothing else runs.
 */
import { COMMANDS, DIAGNOSE, type CommandSpec, type OptionSpec } from './commands.js';
import type { Shell } from './parse-args.js';

const BINARIES = ['jwtcheck', 'kubectl-jwtcheck'];
const KUBECTL_NAMESPACES = "kubectl get namespaces -o name 2>/dev/null | sed 's#^namespace/##'";
const KUBECTL_CONTEXTS = 'kubectl config get-contexts -o name 2>/dev/null';

const flagWords = (spec: CommandSpec): string[] => spec.options.flatMap((o) => [`--${o.long}`, ...(o.short ? [`-${o.short}`] : [])]);
const optionNames = (o: OptionSpec): string => [`--${o.long}`, ...(o.short ? [`-${o.short}`] : [])].join('|');

function bashValueCase(o: OptionSpec): string | undefined {
  if (o.long === 'namespace') return `      ${optionNames(o)}) COMPREPLY=($(compgen -W "$(${KUBECTL_NAMESPACES})" -- "$cur")); return ;;`;
  if (o.long === 'context') return `      ${optionNames(o)}) COMPREPLY=($(compgen -W "$(${KUBECTL_CONTEXTS})" -- "$cur")); return ;;`;
  if (o.choices) return `      ${optionNames(o)}) COMPREPLY=($(compgen -W "${o.choices.join(' ')}" -- "$cur")); return ;;`;
  if (o.files) return `      ${optionNames(o)}) COMPREPLY=($(compgen -f -- "$cur")); return ;;`;
  if (o.kind !== 'bool') return `      ${optionNames(o)}) return ;;`;
  return undefined;
}

function bash(): string {
  const commands = COMMANDS.map((c) => c.name);
  const perCommand = COMMANDS.map((spec) =>
    [
      `    ${spec.name})`,
      '      case "$prev" in',
      ...spec.options.map(bashValueCase).filter((l): l is string => l !== undefined),
      '      esac',
      `      COMPREPLY=($(compgen -W "${[...flagWords(spec), ...(spec.words ?? [])].join(' ')}" -- "$cur"))`,
      spec.name === 'decode' ? '      [[ "$cur" != -* ]] && COMPREPLY+=($(compgen -f -- "$cur"))' : '',
      '      ;;',
    ]
      .filter((l) => l !== '')
      .join('\n'),
  );
  return `# bash completion for jwtcheck and kubectl-jwtcheck: source <(jwtcheck completion bash)
_jwtcheck() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" cmd="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in ${commands.join('|')}) cmd="\${COMP_WORDS[i]}"; break ;; esac
  done
  # kubectl jwtcheck <service> …: the plugin's default command is diagnose.
  if [[ -z "$cmd" && "\${COMP_WORDS[0]}" == kubectl-jwtcheck && $COMP_CWORD -gt 1 ]]; then cmd=${DIAGNOSE.name}; fi
  if [[ -z "$cmd" ]]; then
    COMPREPLY=($(compgen -W "${[...commands, 'help', '--help', '--version'].join(' ')}" -- "$cur"))
    return
  fi
  case "$cmd" in
${perCommand.join('\n')}
  esac
}
complete -F _jwtcheck ${BINARIES.join(' ')}
`;
}

/** zsh runs the bash function through bashcompinit, the way kubectl's and many CLIs' zsh scripts do. */
function zsh(): string {
  return `#compdef ${BINARIES.join(' ')}
# zsh completion for jwtcheck: source <(jwtcheck completion zsh)  (after compinit)
autoload -U +X bashcompinit && bashcompinit
${bash()}`;
}

const fishQuote = (text: string): string => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function fishOption(spec: CommandSpec, o: OptionSpec): string {
  const parts = [`complete -c jwtcheck -n '__fish_seen_subcommand_from ${spec.name}'`];
  if (o.short) parts.push(`-s ${o.short}`);
  parts.push(`-l ${o.long}`);
  if (o.long === 'namespace') parts.push(`-x -a '(${KUBECTL_NAMESPACES.replace(/'/g, '"')})'`);
  else if (o.long === 'context') parts.push(`-x -a '(${KUBECTL_CONTEXTS})'`);
  else if (o.choices) parts.push(`-x -a '${o.choices.join(' ')}'`);
  else if (o.files) parts.push('-r -F');
  else if (o.kind !== 'bool') parts.push('-x');
  parts.push(`-d ${fishQuote(o.help)}`);
  return parts.join(' ');
}

function fish(): string {
  return [
    '# fish completion for jwtcheck: jwtcheck completion fish > ~/.config/fish/completions/jwtcheck.fish',
    'complete -c jwtcheck -f',
    ...COMMANDS.map((c) => `complete -c jwtcheck -n '__fish_use_subcommand' -a ${c.name} -d ${fishQuote(c.summary)}`),
    ...COMMANDS.flatMap((c) => c.options.map((o) => fishOption(c, o))),
    ...COMMANDS.filter((c) => c.words).map((c) => `complete -c jwtcheck -n '__fish_seen_subcommand_from ${c.name}' -a '${(c.words ?? []).join(' ')}'`),
    "complete -c jwtcheck -n '__fish_seen_subcommand_from decode' -F",
    'complete -c kubectl-jwtcheck -w jwtcheck',
    '',
  ].join('\n');
}

export function completionScript(shell: Shell): string {
  return shell === 'bash' ? bash() : shell === 'zsh' ? zsh() : fish();
}
