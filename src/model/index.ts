/** The evidence model, one file per section; import it from here. */
export * from './evidence.js';
export * from './slot.js';
export * from './kube.js';
export * from './policy.js';
export * from './issuer.js';
export * from './token.js';
export * from './logs.js';
export * from './timeline.js';
