/** Slack Web API errors in words the code can branch on, without loading any Slack code. */

export function slackErrorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; data?: { error?: unknown } };
  // web-api's ErrorCode.PlatformError; compared as text so this module loads no Slack code.
  if (e.code === 'slack_webapi_platform_error' && typeof e.data?.error === 'string') return e.data.error;
  return undefined;
}
