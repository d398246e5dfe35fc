/** The JWS algorithms Envoy's jwt_verify_lib implements (src/jwt.cc `isImplemented`). */
export const ENVOY_ALGORITHMS: readonly string[] = [
  'RS256', 'RS384', 'RS512',
  'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512',
  'HS256', 'HS384', 'HS512',
  'EdDSA',
];

export const isEnvoyAlgorithm = (alg: string): boolean => ENVOY_ALGORITHMS.includes(alg);
