import { EVIDENCE_SLOTS } from '../../src/model/index.js';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKS, CHECK_IDS } from '../../src/checks/index.js';

/** DESIGN §3, word for word: the ids and their order are a contract other tools depend on. */
const CONTRACT_IDS = [
  'workload.service',
  'workload.pods',
  'workload.sidecar',
  'workload.http-port',
  'policy.jwt-rules',
  'policy.legacy-api',
  'policy.principal-binding',
  'policy.require-token',
  'policy.token-location',
  'policy.conflicts',
  'issuer.url',
  'issuer.discovery',
  'issuer.jwks',
  'token.format',
  'token.issuer',
  'token.time',
  'token.audience',
  'token.signature',
  'token.authorization',
  'proxy.jwt-config',
  'proxy.responses',
  'istiod.jwks-fetch',
];

const CHECKS_DIR = join(process.cwd(), 'src', 'checks');
const SLOTS = new Set<string>(EVIDENCE_SLOTS);

describe('the check registry', () => {
  it('lists every catalogue id exactly once, in catalogue order (DESIGN §3)', () => {
    expect(CHECKS.map((c) => c.id)).toEqual(CONTRACT_IDS);
    expect(CHECK_IDS).toEqual(CONTRACT_IDS);
  });

  it('has one file per check, named after its id', () => {
    for (const id of CHECK_IDS) expect(existsSync(join(CHECKS_DIR, `${id.replace('.', '-')}.ts`))).toBe(true);
    const files = readdirSync(CHECKS_DIR).filter((f) => f.endsWith('.ts') && f !== 'index.ts');
    expect(files.map((f) => f.replace(/\.ts$/, '').replace('-', '.')).sort()).toEqual([...CHECK_IDS].sort());
  });

  it('gives every check a title, a docs link and only known evidence slots', () => {
    for (const check of CHECKS) {
      expect(check.title.length).toBeGreaterThan(10);
      expect(check.docs).toMatch(/^https:\/\/istio\.io\//);
      for (const slot of [...check.needs, ...(check.uses ?? [])]) expect(SLOTS.has(slot)).toBe(true);
    }
  });
});
