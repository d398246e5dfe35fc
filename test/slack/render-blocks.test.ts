import type { CheckResult } from '../../src/engine/check.js';
import {
  MAX_BLOCKS_PER_MESSAGE,
  MAX_SECTION_TEXT_CHARS,
  renderChecklist,
  renderDecodedToken,
  renderParent,
  renderSummary,
} from '../../src/render/slack-blocks.js';
import { fakeReport } from './harness.js';

const target = { service: 'httpbin', namespace: 'foo', cluster: 'default' };

describe('slack blocks', () => {
  it('splits long checklists at 50 blocks and keeps block ids unique, n-th repeat as check:<id>:<n>', () => {
    const report = fakeReport(target);
    const many: CheckResult[] = Array.from({ length: 120 }, (_, i) => ({ id: 'token.issuer', title: 't', status: 'pass', detail: `rule ${i}` }));
    report.checks = [...report.checks, ...many];
    const pages = renderChecklist(report);
    expect(pages.length).toBeGreaterThanOrEqual(3);
    for (const page of pages) expect(page.blocks.length).toBeLessThanOrEqual(MAX_BLOCKS_PER_MESSAGE);
    const ids = pages.flatMap((p) => p.blocks.map((b) => b.block_id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain('check:token.issuer');
    expect(ids).toContain('check:token.issuer:2');
    expect(ids).toContain('check:token.issuer:122');
  });

  it('cuts section text at 3000 characters and escapes Slack control characters', () => {
    const report = fakeReport(target);
    report.checks[0] = { id: 'workload.service', title: '<!channel> alert', status: 'fail', detail: 'x'.repeat(5000), fix: 'f' };
    const [first] = renderChecklist(report);
    const text = (first!.blocks[0] as { text: { text: string } }).text.text;
    expect(text.length).toBeLessThanOrEqual(MAX_SECTION_TEXT_CHARS);
    expect(text.startsWith('❌ *&lt;!channel&gt; alert*')).toBe(true);
  });

  it('renders status marks, the summary of problems and the parent verdict', () => {
    const report = fakeReport(target, { 'issuer.jwks': 'warn', 'token.time': 'fail', 'proxy.responses': 'error', 'token.format': 'skip' });
    const [page] = renderChecklist(report);
    const texts = page!.blocks.map((b) => (b as { text: { text: string } }).text.text);
    expect(texts.find((t) => t.includes('issuer.jwks'))?.startsWith('⚠️')).toBe(true);
    expect(texts.find((t) => t.includes('token.format'))?.startsWith('⏭️')).toBe(true);
    expect(texts.find((t) => t.includes('proxy.responses'))?.startsWith('🛑')).toBe(true);
    const summary = renderSummary(report)!;
    const s = JSON.stringify(summary.blocks);
    expect(s.indexOf('❌')).toBeLessThan(s.indexOf('🛑'));
    expect(s.indexOf('🛑')).toBeLessThan(s.indexOf('⚠️'));
    expect(renderSummary(fakeReport(target))).toBeUndefined();
    const parent = renderParent({ state: 'done', report });
    expect(parent.text).toContain('❌ JWT authentication for httpbin.foo: a check failed');
    expect(JSON.stringify(parent.blocks)).toContain('jwtcheck_rerun');
    expect(renderParent({ state: 'running', target, done: 3, total: 22 }).text).toContain('3/22 checks done');
  });

  it('shows a decoded token without the token and with an opaque button value', () => {
    const msg = renderDecodedToken({ header: { alg: 'RS256' }, claims: { iss: 'https://i', sub: 'u' }, times: [{ name: 'exp', at: '2026-01-01T00:00:00.000Z', inWords: 'expires in 5 min' }], warnings: ['w'] }, 'stash-id-123');
    expect(msg.text).toContain('expires in 5 min');
    expect(JSON.stringify(msg.blocks)).toContain('"value":"stash-id-123"');
  });
});
