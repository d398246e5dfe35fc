/**
 * Pure parsing of what people type: `/jwtcheck` text and DMs to the bot. No Slack, no I/O, so every
 * case is a table test. Never returns the token text inside a message meant for a user.
 */
import { CLUSTER_RULE, NAME_RULE, isValidCluster, isValidName, splitQualifiedName } from '../lib/names.js';
import { looksLikeJwt } from '../lib/jwt-shape.js';

export const USAGE =
  'Usage: `/jwtcheck <service> <namespace> [--cluster NAME]` (also `service.namespace` or `namespace/service`), or `/jwtcheck help`.';

export const HELP_TEXT = [
  '*jwtcheck* tells you why Istio end-user (JWT) authentication fails for a service.',
  '• `/jwtcheck httpbin foo` checks Service `httpbin` in namespace `foo` (`httpbin.foo` and `foo/httpbin` work too).',
  '• `--cluster NAME` runs it against another cluster.',
  '• To check a token too, send it to me in a *direct message*: `httpbin foo <token>`, or just the token to decode it.',
  '• Never paste a token in a channel: treat it as leaked and rotate it.',
].join('\n');

export const LEAKED_TOKEN_MESSAGE =
  'That looks like a JWT, so I did not use it and did not post it anywhere. Never paste tokens in channels: treat this one as leaked and rotate it (revoke it at the issuer). To check a token, send it to me in a direct message.';

export interface ParsedTarget {
  service: string;
  namespace: string;
  /** Set only when `--cluster` was given. */
  cluster?: string;
}

export type ParsedCommand =
  | { kind: 'help' }
  | { kind: 'diagnose'; target: ParsedTarget }
  | { kind: 'usage'; message: string }
  | { kind: 'leaked-token'; message: string };

const GENERIC_JWS = /^[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}$/;

/** True when the text holds something that looks like a JWT (or a JWE/opaque compact token). */
export function containsToken(text: string): boolean {
  if (looksLikeJwt(text)) return true;
  return splitWords(text).some((w) => GENERIC_JWS.test(w) || w.split('.').length === 5 && w.length > 60);
}

export function isTokenWord(word: string): boolean {
  return looksLikeJwt(word) || GENERIC_JWS.test(word) || (word.split('.').length === 5 && word.length > 60);
}

/** Words as Slack delivers them: Slack may wrap pasted text in backticks or code fences. */
export function splitWords(text: string): string[] {
  return text
    .replace(/```/g, ' ')
    .split(/\s+/)
    .map((w) => w.replace(/^[`*_"']+|[`*_"']+$/g, ''))
    .filter((w) => w.length > 0);
}

/** Parses the text after `/jwtcheck`. */
export function parseCommand(text: string): ParsedCommand {
  if (containsToken(text)) return { kind: 'leaked-token', message: LEAKED_TOKEN_MESSAGE };
  const words = splitWords(text);
  if (words.length === 0) return usage('Tell me which service to check.');
  if (words.length === 1 && /^(help|-h|--help)$/i.test(words[0] ?? '')) return { kind: 'help' };
  return parseTargetWords(words);
}

/** `<service> <namespace> [--cluster NAME]` and the shorthands; shared by commands and DMs. */
export function parseTargetWords(words: readonly string[]): ParsedCommand {
  const positional: string[] = [];
  let cluster: string | undefined;
  for (let i = 0; i < words.length; i += 1) {
    const word = words[i] ?? '';
    if (word.startsWith('--') || word.startsWith('—') /* Slack turns -- into an em dash */) {
      const [flag, inline] = word.replace(/^—/, '--').split('=', 2) as [string, string | undefined];
      if (flag !== '--cluster') return usage(`Unknown option \`${clip(flag)}\`.`);
      const value = inline ?? words[i + 1];
      if (inline === undefined) i += 1;
      if (value === undefined || value === '') return usage('`--cluster` needs a cluster name.');
      if (!isValidCluster(value)) {
        return usage(`\`${clip(value)}\` is not a valid cluster name (${CLUSTER_RULE}).`);
      }
      cluster = value;
      continue;
    }
    if (word.startsWith('-')) return usage(`Unknown option \`${clip(word)}\`.`);
    positional.push(word);
  }

  let service: string | undefined;
  let namespace: string | undefined;
  if (positional.length === 1) {
    const split = splitQualifiedName(positional[0] ?? '');
    if (!split) return usage('Give both the service and its namespace.');
    ({ service, namespace } = split);
  } else if (positional.length === 2) {
    [service, namespace] = positional as [string, string];
  } else {
    return usage(positional.length === 0 ? 'Tell me which service to check.' : 'Too many arguments.');
  }
  if (!isValidName(service)) return usage(`\`${clip(service)}\` is not a valid Service name (${NAME_RULE}).`);
  if (!isValidName(namespace)) return usage(`\`${clip(namespace)}\` is not a valid namespace name (${NAME_RULE}).`);
  return { kind: 'diagnose', target: cluster === undefined ? { service, namespace } : { service, namespace, cluster } };
}

export type ParsedDirectMessage =
  | { kind: 'help' }
  | { kind: 'token-only'; token: string }
  | { kind: 'diagnose'; target: ParsedTarget; token?: string }
  | { kind: 'unrecognised'; message: string };

export const DM_HELP =
  'Send me a token on its own to decode it, or `<service> <namespace> <token>` (any order of the token) to check that token against a service. `help` shows this again.';

/**
 * A DM to the bot: the one place a token may be typed. `Bearer ` before the token is tolerated here
 * (people copy whole headers); the token check itself reports it.
 */
export function parseDirectMessage(text: string): ParsedDirectMessage {
  const words = splitWords(text).filter((w) => !/^bearer$/i.test(w));
  if (words.length === 0) return { kind: 'unrecognised', message: `I could not read that message. ${DM_HELP}` };
  if (words.length === 1 && /^(help|-h|--help|hi|hello)$/i.test(words[0] ?? '')) return { kind: 'help' };
  const tokens = words.filter(isTokenWord);
  if (tokens.length > 1) {
    return { kind: 'unrecognised', message: 'That message holds more than one token: send one token at a time.' };
  }
  const token = tokens[0];
  const rest = words.filter((w) => !isTokenWord(w));
  if (token !== undefined && rest.length === 0) return { kind: 'token-only', token };
  const parsed = parseTargetWords(rest);
  if (parsed.kind === 'diagnose') return token === undefined ? parsed : { ...parsed, token };
  const why = parsed.kind === 'usage' ? parsed.message.replace(/ ?Usage:.*$/s, '') : '';
  return {
    kind: 'unrecognised',
    message: token === undefined
      ? `That is neither a token nor a service to check. ${DM_HELP}`
      : `I found a token, but not the service to check it against (${why}). ${DM_HELP}`,
  };
}

function usage(problem: string): ParsedCommand {
  return { kind: 'usage', message: `${problem} ${USAGE}` };
}

/** Echo at most a short, token-free piece of user input. */
function clip(text: string): string {
  const clean = text.replace(/[`<>&]/g, '');
  return clean.length > 40 ? `${clean.slice(0, 40)}…` : clean;
}
