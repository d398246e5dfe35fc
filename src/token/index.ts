/** The one module that handles raw tokens; everything else sees TokenEvidence. */
export { decodeToken, noTokenEvidence, MAX_TOKEN_BYTES } from './decode-token.js';
export { inspectToken, type TokenInspection, type TokenTime, type TimeClaim } from './inspect-token.js';
export { verifyToken, type VerifyOptions } from './verify-token.js';
export { tokenFingerprint } from './fingerprint.js';
export { renderDecodedText, decodedAsJson, type DecodedJson } from './render-decoded.js';
export { ENVOY_ALGORITHMS } from './algorithms.js';
export { CLOCK_SKEW_S } from './token-warnings.js';
