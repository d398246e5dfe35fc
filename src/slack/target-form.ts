/**
 * The service / namespace / cluster inputs of a modal and their validation, shared by the "Check against
 * a service" form (after a token in a DM) and App Home's "New diagnosis" form. Errors are shown in the
 * form, next to the field, before it closes.
 */
import type { InputBlock } from '@slack/types';
import { DEFAULT_CLUSTER, isValidCluster, isValidName } from '../lib/names.js';

export type TargetForm = { ok: true; target: { service: string; namespace: string; cluster: string } } | { ok: false; errors: Record<string, string> };

export function targetInputs(): InputBlock[] {
  const input = (blockId: string, label: string, placeholder: string, optional: boolean): InputBlock => ({
    type: 'input',
    block_id: blockId,
    optional,
    label: { type: 'plain_text', text: label },
    element: { type: 'plain_text_input', action_id: 'value', placeholder: { type: 'plain_text', text: placeholder } },
  });
  return [input('service', 'Service', 'httpbin', false), input('namespace', 'Namespace', 'foo', false), input('cluster', 'Cluster', 'default', true)];
}

/** Reads view.state.values; undefined when the form arrived without them. */
export function readTargetForm(values: unknown): TargetForm | undefined {
  if (typeof values !== 'object' || values === null) return undefined;
  const value = (block: string): string => {
    const v: unknown = (values as Record<string, Record<string, { value?: unknown } | undefined> | undefined>)[block]?.['value']?.value;
    return typeof v === 'string' ? v.trim() : '';
  };
  const service = value('service');
  const namespace = value('namespace');
  const cluster = value('cluster') || DEFAULT_CLUSTER;
  const errors: Record<string, string> = {};
  if (!isValidName(service)) errors['service'] = 'A Service name: lower-case letters, digits and "-", at most 63.';
  if (!isValidName(namespace)) errors['namespace'] = 'A namespace name: lower-case letters, digits and "-", at most 63.';
  if (!isValidCluster(cluster)) errors['cluster'] = 'Letters, digits, ".", "_" and "-", at most 63.';
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, target: { service, namespace, cluster } };
}
