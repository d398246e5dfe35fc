import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CHECK_IDS } from '../../src/checks/catalogue.js';
import { CHECKS } from '../../src/checks/index.js';

const CHECKS_DIR = join(process.cwd(), 'src', 'checks');
const SLOTS = new Set(['service', 'namespace', 'pods', 'istio', 'policies', 'issuers', 'proxyLogs', 'istiodLogs']);

describe('the check registry', () => {
  it('lists every catalogue id exactly once, in catalogue order (DESIGN §3)', () => {
    expect(CHECKS.map((c) => c.id)).toEqual([...CHECK_IDS]);
  });

  it('has one file per check, named after its id', () => {
    for (const id of CHECK_IDS) expect(existsSync(join(CHECKS_DIR, `${id.replace('.', '-')}.ts`))).toBe(true);
    const files = readdirSync(CHECKS_DIR).filter((f) => f.endsWith('.ts') && !['index.ts', 'catalogue.ts'].includes(f));
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
