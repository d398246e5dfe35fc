/**
 * The app's first Slack call (auth.test), worded by what actually failed: no answer at all (network, DNS,
 * proxy) is not a refused token, and a 5xx is neither. After it succeeds, the scopes Slack granted
 * (`x-oauth-scopes`, which web-api puts in response_metadata.scopes) are compared with what the code uses,
 * and any missing one is named with what it is for.
 */
import type { WebClient } from '@slack/web-api';
import { JwtcheckError } from '../errors.js';
import type { Logger } from '../lib/logger.js';
import { maskSecrets } from '../lib/logger.js';
import { rootCause } from '../lib/network-errors.js';

/** Scopes the app cannot work without, and the call or event that needs each. */
export const REQUIRED_SCOPES: Readonly<Record<string, string>> = {
  commands: '/jwtcheck',
  'chat:write': 'chat.postMessage/update/delete, chat.postEphemeral',
  'im:history': 'message.im events (tokens sent in a DM) and finding a parent after a lost reply in a DM',
  'im:write': 'conversations.open (the access file\'s "dm")',
};
/** Scopes that switch a feature on; missing ones are reported, not fatal. */
export const OPTIONAL_SCOPES: Readonly<Record<string, string>> = {
  'chat:write.public': 'posting results in public channels the bot was not invited to',
  'channels:history': 'leak warnings in public channels (message.channels) and finding a parent there after a lost reply',
  'groups:history': 'the same in private channels (message.groups)',
};

/** Slack's answers that mean "this token is not good", as opposed to "Slack could not be asked". */
const TOKEN_REFUSED = new Set(['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired', 'not_allowed_token_type']);

export async function verifySlackToken(client: WebClient, logger: Logger): Promise<{ botId: string; botUserId: string }> {
  let result: Awaited<ReturnType<WebClient['auth']['test']>>;
  try {
    result = await client.auth.test();
  } catch (err) {
    throw new JwtcheckError('config', startupFailure(err, client.slackApiUrl), { cause: err });
  }
  if (!result.bot_id || !result.user_id) {
    throw new JwtcheckError('config', 'SLACK_BOT_TOKEN is not a bot token (auth.test names no bot): use the Bot User OAuth Token (xoxb-…).');
  }
  reportScopes(result.response_metadata?.scopes, logger);
  return { botId: result.bot_id, botUserId: result.user_id };
}

export function missingScopes(granted: readonly string[]): { required: string[]; optional: string[] } {
  const has = new Set(granted);
  return {
    required: Object.keys(REQUIRED_SCOPES).filter((s) => !has.has(s)),
    optional: Object.keys(OPTIONAL_SCOPES).filter((s) => !has.has(s)),
  };
}

function reportScopes(granted: string[] | undefined, logger: Logger): void {
  if (granted === undefined) return void logger.info('Slack did not list the granted scopes (no x-oauth-scopes header); scope check skipped');
  const { required, optional } = missingScopes(granted);
  if (required.length > 0) {
    logger.error(
      { missing: required },
      `SLACK_BOT_TOKEN lacks ${required.map((s) => `${s} (${REQUIRED_SCOPES[s]})`).join(', ')}: add them under OAuth & Permissions (or from slack-app-manifest.yaml) and reinstall the app.`,
    );
  }
  if (optional.length > 0) {
    logger.info({ missing: optional }, `optional Slack scopes not granted, so these are off: ${optional.map((s) => `${s} (${OPTIONAL_SCOPES[s]})`).join(', ')}`);
  }
}

function startupFailure(err: unknown, apiUrl: string): string {
  const e = err as { code?: string; data?: { error?: string }; statusCode?: number; original?: unknown };
  if (e.code === 'slack_webapi_platform_error' && TOKEN_REFUSED.has(e.data?.error ?? '')) {
    return `Slack refused SLACK_BOT_TOKEN (${e.data?.error ?? 'error'}): copy the Bot User OAuth Token (xoxb-…) from the app settings again.`;
  }
  if (e.code === 'slack_webapi_request_error') {
    // web-api wraps the fetch error (its cause chain holds the code) in `original`.
    const original = e.original ?? err;
    const cause = rootCause(original) ?? { message: (original as { message?: string }).message };
    const why = maskSecrets([cause?.code, cause?.message].filter(Boolean).join(' ') || 'no answer');
    return `Cannot reach Slack at ${apiUrl} (${why}): this is the network or proxy, not the token — check DNS, egress rules and HTTPS_PROXY for the app.`;
  }
  if (e.code === 'slack_webapi_http_error' || e.code === 'slack_webapi_rate_limited_error') {
    return `Slack answered auth.test with HTTP ${e.statusCode ?? 'error'} (${e.code === 'slack_webapi_rate_limited_error' ? 'rate limited' : 'server error'}): the token was not judged; start again in a minute.`;
  }
  const detail = maskSecrets(e.data?.error ?? (err instanceof Error ? err.message : String(err)));
  return `Slack's auth.test failed (${detail}): check SLACK_BOT_TOKEN and SLACK_API_URL.`;
}
