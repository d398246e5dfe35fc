/**
 * Istio version comparisons for checks (the legacy API is ignored from 1.6; several behaviours change by
 * release). One implementation, shared with the evidence layer that parses the version.
 */
export { isAtLeast as versionAtLeast, formatIstioVersion as formatVersion } from '../../istio/istio-info.js';
