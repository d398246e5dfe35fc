/**
 * Slack re-delivers an event it saw no timely ack for. Over HTTP the first delivery has no
 * X-Slack-Retry-Num (Bolt's context.retryNum is undefined); in Socket Mode every envelope carries
 * `retry_attempt`, 0 on the first delivery, which Bolt passes on as retryNum 0. Only > 0 is a retry.
 */
export function isRedelivery(context: { retryNum?: number }): boolean {
  return (context.retryNum ?? 0) > 0;
}
