/**
 * AuthorizationPolicy `rules` into the model (ISTIO-JWT §2.3). Only string lists are kept; a part of
 * another shape is dropped rather than guessed at. Absent `rules` stays undefined, because on an ALLOW
 * policy that means "deny everything", unlike `rules: [{}]` which matches everything.
 */
import { asArray, asRecord, asString, asStringArray } from '../kube-objects.js';
import type {
  AuthorizationAction,
  AuthorizationCondition,
  AuthorizationOperation,
  AuthorizationRule,
  AuthorizationSource,
} from '../../model/index.js';

const SOURCE_FIELDS = [
  'principals', 'notPrincipals', 'requestPrincipals', 'notRequestPrincipals', 'namespaces', 'notNamespaces',
  'ipBlocks', 'notIpBlocks', 'remoteIpBlocks', 'notRemoteIpBlocks',
] as const satisfies readonly (keyof AuthorizationSource)[];

const OPERATION_FIELDS = [
  'hosts', 'notHosts', 'ports', 'notPorts', 'methods', 'notMethods', 'paths', 'notPaths',
] as const satisfies readonly (keyof AuthorizationOperation)[];

const ACTIONS: readonly AuthorizationAction[] = ['ALLOW', 'DENY', 'AUDIT', 'CUSTOM'];

/** `undefined` for an action Istio does not know (validation rejects it); absent means ALLOW. */
export function parseAction(value: unknown): AuthorizationAction | undefined {
  if (value === undefined || value === null) return 'ALLOW';
  const text = asString(value);
  return ACTIONS.find((a) => a === text);
}

export function parseAuthorizationRules(value: unknown): AuthorizationRule[] | undefined {
  // A non-list `rules` cannot pass validation; treat it like an absent field rather than invent rules.
  const list = asArray(value);
  if (!list) return undefined;
  return list.flatMap((entry) => {
    const raw = asRecord(entry);
    if (!raw) return [];
    const rule: AuthorizationRule = {};
    const from = asArray(raw['from']);
    if (from) {
      rule.from = from.flatMap((f) => {
        const item = asRecord(f);
        if (!item) return [];
        const source = asRecord(item['source']);
        return [source ? { source: pick(source, SOURCE_FIELDS) } : {}];
      });
    }
    const to = asArray(raw['to']);
    if (to) {
      rule.to = to.flatMap((t) => {
        const item = asRecord(t);
        if (!item) return [];
        const operation = asRecord(item['operation']);
        return [operation ? { operation: pick(operation, OPERATION_FIELDS) } : {}];
      });
    }
    const when = asArray(raw['when']);
    if (when) rule.when = when.flatMap(toCondition);
    return [rule];
  });
}

function pick<K extends string>(record: Record<string, unknown>, fields: readonly K[]): Partial<Record<K, string[]>> {
  const out: Partial<Record<K, string[]>> = {};
  for (const name of fields) {
    // Ports are strings in the API; YAML `ports: [8000]` gives numbers, which istiod's schema would refuse.
    const values = asStringArray(record[name]);
    if (values) out[name] = values;
  }
  return out;
}

function toCondition(value: unknown): AuthorizationCondition[] {
  const raw = asRecord(value);
  const key = asString(raw?.['key']);
  if (!raw || key === undefined || key === '') return [];
  const condition: AuthorizationCondition = { key };
  const values = asStringArray(raw['values']);
  if (values) condition.values = values;
  const notValues = asStringArray(raw['notValues']);
  if (notValues) condition.notValues = notValues;
  return [condition];
}
