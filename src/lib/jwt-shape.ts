/**
 * The one JWT-shape detector: the logger's masking, the log-line redactor and the Slack parser all ask it,
 * so a string one of them treats as a token is a token to the others too. base64url of a JSON object
 * always starts with `eyJ` (`{"`); a JWS has three dot-separated parts, a JWE five, and a fragment cut by
 * a log line or a Slack message is still a secret, so no dot is required.
 */
const JWT_SHAPE = 'eyJ[A-Za-z0-9_-]{6,}(?:\\.[A-Za-z0-9_-]*){0,4}';
const ANY_JWT = new RegExp(JWT_SHAPE);

export const JWT_MASK = '[jwt redacted]';

/** True when the text holds something shaped like a JWT (or a piece of one). */
export function looksLikeJwt(text: string): boolean {
  return ANY_JWT.test(text);
}

/** Replaces every JWT-shaped run in the text. A fresh global regex per call: no shared lastIndex. */
export function maskJwts(text: string, mask: string = JWT_MASK): string {
  return text.replace(new RegExp(JWT_SHAPE, 'g'), mask);
}
