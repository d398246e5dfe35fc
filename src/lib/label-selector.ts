import type { Labels } from '../model/index.js';
import { JwtcheckError } from '../errors.js';

/**
 * Kubernetes label selectors. Two shapes exist in the cluster: the `matchLabels`-style map that
 * Services and RequestAuthentication/AuthorizationPolicy selectors use (all pairs must match), and
 * the string syntax of `kubectl get -l` / `?labelSelector=` (set-based too), which the snapshot source
 * must evaluate the way the API server does.
 */

/** Every pair of `selector` is in `labels`. An empty selector matches everything (as in Istio and Kubernetes). */
export function matchesSelector(selector: Labels, labels: Labels): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

/** `{version:'v1', app:'httpbin'}` -> `app=httpbin,version=v1` (sorted, so the text is stable). */
export function formatSelector(selector: Labels): string {
  return Object.keys(selector)
    .sort()
    .map((key) => `${key}=${selector[key] ?? ''}`)
    .join(',');
}

export type Requirement =
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'notexists' };

/**
 * Parses `app=httpbin,tier!=db,env in (prod, staging),!canary,version` into requirements.
 * Commas inside `( … )` belong to the value list. Throws JwtcheckError('invalid') on text the API
 * server would refuse with 400, so callers see the mistake instead of an empty match.
 */
export function parseSelector(text: string): Requirement[] {
  const requirements: Requirement[] = [];
  for (const part of splitTopLevel(text)) {
    const term = part.trim();
    if (term === '') continue;
    requirements.push(parseTerm(term));
  }
  return requirements;
}

/** All requirements hold (an empty list matches everything). */
export function matchesRequirements(requirements: readonly Requirement[], labels: Labels): boolean {
  return requirements.every((req) => {
    const has = Object.hasOwn(labels, req.key);
    const value = labels[req.key];
    switch (req.op) {
      case 'eq':
        return has && value === req.value;
      case 'neq':
        // As in Kubernetes: `k!=v` also matches objects that lack the label.
        return !has || value !== req.value;
      case 'in':
        return has && req.values.includes(value ?? '');
      case 'notin':
        return !has || !req.values.includes(value ?? '');
      case 'exists':
        return has;
      case 'notexists':
        return !has;
    }
  });
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth += 1;
    if (ch === ')') depth -= 1;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

const KEY = String.raw`[A-Za-z0-9](?:[-A-Za-z0-9_./]*[A-Za-z0-9])?`;
const VALUE = String.raw`(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?`;
const EQUALITY = new RegExp(`^(${KEY})\\s*(==|=|!=)\\s*(${VALUE})$`);
const SET = new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^)]*)\\)$`);
const EXISTS = new RegExp(`^(!?)\\s*(${KEY})$`);

function parseTerm(term: string): Requirement {
  const eq = EQUALITY.exec(term);
  if (eq) {
    const [, key = '', op, value = ''] = eq;
    return { key, op: op === '!=' ? 'neq' : 'eq', value };
  }
  const set = SET.exec(term);
  if (set) {
    const [, key = '', op, list = ''] = set;
    const values = list.split(',').map((v) => v.trim());
    if (values.some((v) => !new RegExp(`^${VALUE}$`).test(v))) {
      throw invalidTerm(term);
    }
    return { key, op: op === 'notin' ? 'notin' : 'in', values };
  }
  const exists = EXISTS.exec(term);
  if (exists) {
    const [, bang, key = ''] = exists;
    return { key, op: bang === '!' ? 'notexists' : 'exists' };
  }
  throw invalidTerm(term);
}

function invalidTerm(term: string): JwtcheckError {
  return new JwtcheckError(
    'invalid',
    `The label selector term "${term}" is not valid: write key=value, key!=value, key in (a,b), key notin (a,b), key or !key.`,
  );
}
