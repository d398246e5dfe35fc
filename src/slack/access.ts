/**
 * Who may diagnose what (JWTCHECK_ACCESS_FILE). Pure: parse the YAML text, then decide per request.
 * Without a file everything is allowed. The file format:
 *
 *   admins: "#platform-team"            # who may change this file: shown in every refusal
 *   rules:                              # a request is allowed when ANY rule matches all its fields
 *     - channels: [C0123456789, dm]     # channel ids; "dm" = direct messages with the bot; omit = any channel
 *       users: [U0123456789]            # user ids; omit = anyone
 *       namespaces: [foo, "team-*"]     # required; "*" is a wildcard within the name
 *       clusters: [default, prod-eu]    # omit = any cluster
 */
import { parse } from 'yaml';
import { JwtcheckError } from '../errors.js';

export interface AccessRule {
  channels?: string[];
  users?: string[];
  namespaces: string[];
  clusters?: string[];
}

export interface AccessPolicy {
  admins: string;
  rules: AccessRule[];
}

export interface AccessRequest {
  user: string;
  channel: string;
  /** The bot's own DM with this user (matches the channel entry "dm"); a DM between people is not one. */
  isDm: boolean;
  namespace: string;
  cluster: string;
}

export type AccessDecision = { allowed: true } | { allowed: false; message: string };

const DEFAULT_ADMINS = 'the team that runs jwtcheck';
const RULE_FIELDS = new Set(['channels', 'users', 'namespaces', 'clusters']);

/** Parses the access file text; throws JwtcheckError('config') listing every problem. */
export function parseAccessPolicy(text: string, origin = 'the access file'): AccessPolicy {
  let doc: unknown;
  try {
    doc = parse(text, { logLevel: 'error' });
  } catch (err) {
    throw new JwtcheckError('config', `${origin} is not valid YAML (${err instanceof Error ? err.message.split('\n')[0] : 'parse error'}): fix it and restart jwtcheck.`);
  }
  const problems: string[] = [];
  if (!isRecord(doc)) throw new JwtcheckError('config', `${origin} must be a YAML mapping with \`rules:\` (and optionally \`admins:\`).`);
  for (const key of Object.keys(doc)) {
    if (key !== 'rules' && key !== 'admins') problems.push(`unknown key "${key}" (expected rules, admins)`);
  }
  const admins = doc['admins'] === undefined ? DEFAULT_ADMINS : doc['admins'];
  if (typeof admins !== 'string' || admins.trim() === '') problems.push('"admins" must be a non-empty string, e.g. "#platform-team"');
  const rawRules = doc['rules'];
  const rules: AccessRule[] = [];
  if (!Array.isArray(rawRules)) {
    problems.push('"rules" must be a list');
  } else {
    rawRules.forEach((raw: unknown, i) => {
      const where = `rules[${i}]`;
      if (!isRecord(raw)) {
        problems.push(`${where} must be a mapping`);
        return;
      }
      for (const key of Object.keys(raw)) if (!RULE_FIELDS.has(key)) problems.push(`${where}: unknown key "${key}"`);
      const list = (name: string, required: boolean): string[] | undefined => {
        const value = raw[name];
        if (value === undefined) {
          if (required) problems.push(`${where}.${name} is required`);
          return undefined;
        }
        if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v === '')) {
          problems.push(`${where}.${name} must be a list of strings`);
          return undefined;
        }
        return value as string[];
      };
      const rule: AccessRule = { namespaces: list('namespaces', true) ?? [] };
      const channels = list('channels', false);
      const users = list('users', false);
      const clusters = list('clusters', false);
      if (channels) rule.channels = channels;
      if (users) rule.users = users;
      if (clusters) rule.clusters = clusters;
      rules.push(rule);
    });
  }
  if (problems.length > 0) {
    throw new JwtcheckError('config', `${origin} has problems: ${problems.join('; ')}. Fix them and restart jwtcheck.`);
  }
  return { admins: (admins as string).trim(), rules };
}

/** undefined policy = no access file = everything allowed. */
export function checkAccess(policy: AccessPolicy | undefined, request: AccessRequest): AccessDecision {
  if (!policy) return { allowed: true };
  const matches = policy.rules.some(
    (rule) =>
      (rule.channels === undefined || rule.channels.some((c) => c === request.channel || (c === 'dm' && request.isDm))) &&
      (rule.users === undefined || rule.users.includes(request.user)) &&
      (rule.clusters === undefined || rule.clusters.some((c) => globMatch(c, request.cluster))) &&
      rule.namespaces.some((n) => globMatch(n, request.namespace)),
  );
  if (matches) return { allowed: true };
  const where = request.isDm ? 'in a direct message' : 'from this channel';
  return {
    allowed: false,
    message: `You are not allowed to diagnose namespace \`${request.namespace}\` (cluster \`${request.cluster}\`) ${where}. Access is set by jwtcheck's access file; ask ${policy.admins} to change it.`,
  };
}

/** True when some rule names "dm": only then is it worth asking Slack whether a channel is the bot's DM. */
export function needsDmLookup(policy: AccessPolicy | undefined): boolean {
  return policy?.rules.some((rule) => rule.channels?.includes('dm')) ?? false;
}

/** `*` matches any run of characters; nothing else is special. */
export function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`);
  return re.test(value);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
