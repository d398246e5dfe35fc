/**
 * Issue 10 item 3: every Slack text that carries cluster- or user-derived content goes through one escaping
 * function (`&`, `<`, `>`): blocks, the fallback `text` of a message, ephemeral answers. Property: whatever
 * string a policy, a log or a user supplies, no rendered text contains a raw `<` or `>` (so no `<!here>`,
 * `<@U…>` or `<https://…|…>`), and every `&` starts one of the three entities.
 */
import fc from 'fast-check';
import type { CheckResult } from '../../src/engine/check.js';
import { countStatuses, decideVerdict, type Report } from '../../src/engine/report.js';
import { ephemeral, escapeText, renderChecklist, renderDecodedToken, renderNotice, renderParent, renderSummary, type SlackMessage } from '../../src/render/slack-blocks.js';

const RUNS = 300;
const HOSTILE = '<!here> <@U0BOSS> <https://evil.example|sso> & <!channel>';
const hostile = fc.oneof(fc.constant(HOSTILE), fc.string(), fc.string({ unit: 'grapheme' }), fc.array(fc.constantFrom('<', '>', '&', '!here', '@U0BOSS', '|', 'amp;', 'lt;', ' ', 'x'), { maxLength: 20 }).map((a) => a.join('')));
const TARGET = { service: 'httpbin', namespace: 'foo', cluster: 'default' };

/** Every text Slack would render as mrkdwn, minus the catalogue's own Docs links (constants, not content). */
function texts(message: SlackMessage): string[] {
  const found: string[] = [message.text];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (typeof node !== 'object' || node === null) return;
    const record = node as Record<string, unknown>;
    if (record['type'] === 'mrkdwn' && typeof record['text'] === 'string') found.push(record['text']);
    Object.values(record).forEach(walk);
  };
  walk(message.blocks);
  return found.map((t) => t.replace(/<https:\/\/istio\.io\/[^|>]*\|Docs>/g, ''));
}

function expectInert(text: string): void {
  expect(text).not.toMatch(/[<>]/);
  expect(text.replace(/&(amp|lt|gt);/g, '')).not.toContain('&');
}

function report(content: string): Report {
  const checks: CheckResult[] = [
    { id: 'issuer.discovery', status: 'fail', subject: content, title: 'Issuer discovery', detail: `issuer ${content}`, fix: `set ${content}`, docs: 'https://istio.io/latest/docs/' },
    { id: 'token.issuer', status: 'warn', subject: content, title: content, detail: content },
  ];
  const verdict = { ...decideVerdict(checks), summary: `The issuer ${content} does not answer.` };
  return { version: 1, target: TARGET, startedAt: new Date(0).toISOString(), durationMs: 1, verdict, checks, counts: countStatuses(checks) };
}

describe('Slack texts carrying cluster or user content are inert', () => {
  it('parent (running, done, failed), summary, checklist, notice, decoded token and ephemeral answers', () => {
    fc.assert(
      fc.property(hostile, (content) => {
        const messages: SlackMessage[] = [
          renderParent({ state: 'running', target: TARGET, done: 1, total: 2 }),
          renderParent({ state: 'done', report: report(content) }),
          renderParent({ state: 'failed', target: TARGET, message: content }),
          renderSummary(report(content)) ?? { text: '', blocks: [] },
          ...renderChecklist(report(content)),
          renderNotice(`Sorry, the check failed: ${content}`),
          renderDecodedToken({ header: { kid: content }, claims: { iss: content }, times: [{ name: 'exp', at: content, inWords: content }], warnings: [content] }),
        ];
        for (const message of messages) texts(message).forEach(expectInert);
        expectInert(ephemeral(`You may not diagnose ${content}.`).text);
      }),
      { numRuns: RUNS },
    );
  });

  it('the issue\'s issuer string reaches chat.update\'s fallback text escaped, not as a mention', () => {
    const { text } = renderParent({ state: 'done', report: report(HOSTILE) });
    expect(text).toContain(escapeText(HOSTILE));
    expect(text).not.toContain('<!here>');
  });
});
