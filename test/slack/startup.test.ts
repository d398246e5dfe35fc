/**
 * Issue 10 item 13: the app's start-up against Slack. "Cannot reach Slack" (network, proxy) and "token
 * refused" are different problems with different fixes, and a token missing a scope the code uses is named
 * at start instead of failing later on the first call that needs it.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { startApp } from '../../src/app.js';
import { OPTIONAL_SCOPES, REQUIRED_SCOPES } from '../../src/slack/startup-check.js';
import { freePort } from '../support/free-port.js';
import { startFakeSlack, type FakeSlack } from '../support/slack-api.js';
import { captureLog, testConfig } from './harness.js';

const NO_RETRIES = { retryConfig: { retries: 0 } };
let slack: FakeSlack;

beforeAll(async () => {
  slack = await startFakeSlack();
});
afterAll(async () => {
  await slack.close();
});

const start = (apiUrl: string, log = captureLog('startup')) =>
  startApp(testConfig({ ...slack, apiUrl }), { logger: log.logger, host: '127.0.0.1', health: false, clientOptions: NO_RETRIES });

it('Slack unreachable: says it cannot reach Slack (network or proxy), not that the token was refused', async () => {
  const closed = `http://127.0.0.1:${await freePort()}/api/`;
  const failure = start(closed);
  // ECONNREFUSED in production; under Jest's VM web-api loses the cause (another realm's TypeError) and says "fetch failed".
  await expect(failure).rejects.toThrow(/^Cannot reach Slack at http:\/\/127\.0\.0\.1:\d+\/api\/ \((ECONNREFUSED|.*fetch failed).*network or proxy, not the token/);
  await expect(failure).rejects.not.toThrow(/refused SLACK_BOT_TOKEN|did not accept/);
});

it('token refused: names the token and Slack\'s reason', async () => {
  slack.failNext('auth.test', { error: 'invalid_auth' });
  await expect(start(slack.apiUrl)).rejects.toThrow('Slack refused SLACK_BOT_TOKEN (invalid_auth): copy the Bot User OAuth Token');
});

it('Slack 5xx: neither the network nor the token', async () => {
  slack.failNext('auth.test', { status: 500 });
  await expect(start(slack.apiUrl)).rejects.toThrow(/HTTP 500 .*the token was not judged/);
});

it('names each scope the code uses that the token was not granted', async () => {
  slack.grantedScopes = 'commands,chat:write,channels:history';
  const log = captureLog('startup-scopes');
  const app = await start(slack.apiUrl, log);
  await app.stop();
  slack.grantedScopes = undefined;
  expect(log.text()).toContain('SLACK_BOT_TOKEN lacks im:history (message.im events');
  expect(log.text()).toContain('im:write (conversations.open');
  expect(log.text()).toMatch(/optional Slack scopes not granted.*chat:write\.public.*groups:history/);
  expect(log.text()).not.toMatch(/lacks[^"]*commands/);
});

it('the app manifest asks for exactly the scopes the code uses', () => {
  const manifest = parse(readFileSync(new URL('../../slack-app-manifest.yaml', import.meta.url), 'utf8')) as { oauth_config: { scopes: { bot: string[] } } };
  expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([...Object.keys(REQUIRED_SCOPES), ...Object.keys(OPTIONAL_SCOPES)].sort());
});

it('the app manifest turns on the Home tab and subscribes to app_home_opened, which App Home listens for', () => {
  const manifest = parse(readFileSync(new URL('../../slack-app-manifest.yaml', import.meta.url), 'utf8')) as {
    features: { app_home: { home_tab_enabled: boolean } };
    settings: { event_subscriptions: { bot_events: string[] } };
  };
  expect(manifest.features.app_home.home_tab_enabled).toBe(true);
  expect(manifest.settings.event_subscriptions.bot_events).toContain('app_home_opened');
});
