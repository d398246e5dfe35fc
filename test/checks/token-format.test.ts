import { describe, expect, it } from '@jest/globals';
import check from '../../src/checks/token-format.js';
import { runCheck } from '../../src/engine/run-checks.js';
import { context, healthyEvidence } from '../support/evidence.js';

describe('token.format', () => {
  it('passes a well-formed token, naming alg, kid and typ', () => {
    const [r] = runCheck(check, healthyEvidence(), context());
    expect(r?.status).toBe('pass');
    expect(r?.detail).toContain('alg RS256');
    expect(r?.detail).toContain('kid key-1');
    expect(r?.detail).toContain('typ JWT');
  });

  it('skips without a token', () => {
    const e = healthyEvidence();
    e.token = { provided: false, warnings: [], verification: {} };
    const [r] = runCheck(check, e, context());
    expect(r?.status).toBe('skip');
    expect(r?.detail).toMatch(/no token given: pass --token-file or DM the token/);
  });

  it('fails a token pasted with "Bearer " and says to strip it', () => {
    const e = healthyEvidence();
    e.token = { provided: true, problem: { code: 'bearer-prefix', message: 'starts with "Bearer "' }, warnings: [], verification: {} };
    const [r] = runCheck(check, e, context());
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('bearer-prefix');
    expect(r?.fix).toMatch(/without the leading "Bearer "/);
  });

  it('explains an opaque token with Envoy\'s exact status', () => {
    const e = healthyEvidence();
    e.token = { provided: true, problem: { code: 'not-three-parts', message: 'no dots' }, warnings: [], verification: {} };
    const [r] = runCheck(check, e, context());
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections');
    expect(r?.fix).toMatch(/opaque access token/);
  });

  it('says Istio cannot decrypt a JWE and never accepts alg none', () => {
    const e = healthyEvidence();
    e.token = { provided: true, problem: { code: 'jwe', message: 'five parts' }, warnings: [], verification: {} };
    expect(runCheck(check, e, context())[0]?.fix).toMatch(/cannot decrypt/);
    e.token = { provided: true, problem: { code: 'alg-none', message: 'alg none' }, warnings: [], verification: {} };
    const [r] = runCheck(check, e, context());
    expect(r?.status).toBe('fail');
    expect(r?.fix).toMatch(/never accepted/);
  });

  it('fails an alg Envoy does not support and a non-string kid', () => {
    const e = healthyEvidence();
    e.token.header = { alg: 'RS1', typ: 'JWT' };
    expect(runCheck(check, e, context())[0]?.detail).toContain('Jwt header [alg] is not supported');
    e.token.header = { alg: 'RS256', kid: 7 };
    const [r] = runCheck(check, e, context());
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('Jwt header [kid] field is not a string');
  });
});

describe('token.format with a pasted Bearer prefix', () => {
  it('warns, names the prefix, and still reports the decoded header', async () => {
    const { decodeToken } = await import('../../src/token/index.js');
    const { runCheck } = await import('../../src/engine/run-checks.js');
    const { default: check } = await import('../../src/checks/token-format.js');
    const { context, healthyEvidence } = await import('../support/evidence.js');
    const header = Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'k1' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ iss: 'https://issuer.example', sub: 'u' })).toString('base64url');
    const ev = healthyEvidence();
    ev.token = decodeToken(`Bearer ${header}.${payload}.c2lnbmF0dXJl`);
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('warn');
    expect(r?.detail).toContain('"Bearer "');
    expect(r?.detail).toContain('kid k1');
    expect(r?.fix).toContain('exactly once');
    expect(JSON.stringify(r)).not.toContain('c2lnbmF0dXJl');
  });
});
