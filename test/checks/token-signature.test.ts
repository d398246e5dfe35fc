import { describe, expect, it } from '@jest/globals';
import check from '../../src/checks/token-signature.js';
import { runCheck } from '../../src/engine/run-checks.js';
import { missing } from '../../src/model/index.js';
import { ISSUER, context, healthyEvidence, issuerEvidence, ok } from '../support/evidence.js';

const KEY = 'RequestAuthentication/foo/jwt-example#0';

describe('token.signature', () => {
  it('passes a verified token naming the kid, subject = issuer', () => {
    const [r] = runCheck(check, healthyEvidence(), context());
    expect(r?.status).toBe('pass');
    expect(r?.subject).toBe(ISSUER);
    expect(r?.detail).toContain('key-1');
  });

  it('fails an unknown kid, comparing it with the key set and pointing at rotation', () => {
    const e = healthyEvidence();
    e.token.header = { alg: 'RS256', kid: 'key-2' };
    e.token.verification[KEY] = { outcome: 'no-matching-key', message: 'no key with kid key-2' };
    const [r] = runCheck(check, e, context());
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('Jwks doesn\'t have key to match kid or alg from Jwt');
    expect(r?.detail).toContain('token kid "key-2", key set kids "key-1"');
    expect(r?.fix).toMatch(/PILOT_JWT_PUB_KEY_REFRESH_INTERVAL/);
    expect(r?.fix).toMatch(/another realm/);
  });

  it('fails a bad signature with Envoy\'s text', () => {
    const e = healthyEvidence();
    e.token.verification[KEY] = { outcome: 'signature-invalid', message: 'signature mismatch' };
    const [r] = runCheck(check, e, context());
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('Jwt verification fails');
  });

  it('skips when the key set could not be read', () => {
    const e = healthyEvidence();
    e.token.verification = {};
    e.issuers = ok({ [KEY]: issuerEvidence({ keySet: missing('unreachable', 'issuer.example: connection refused') }) });
    const [r] = runCheck(check, e, context());
    expect(r?.status).toBe('skip');
    expect(r?.detail).toMatch(/see issuer.jwks/);
  });

  it('skips a token with a format problem', () => {
    const e = healthyEvidence();
    e.token.problem = { code: 'bad-json', message: 'payload is not JSON' };
    expect(runCheck(check, e, context())[0]?.detail).toMatch(/token.format/);
  });
});
