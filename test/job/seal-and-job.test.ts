import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { UnrecoverableError } from 'bullmq';
import { jobIdFor, queueLocation, validateJobData } from '../../src/job/job-data.js';
import { isSealedToken, sealToken, unsealToken } from '../../src/job/seal.js';

const key = randomBytes(32);

describe('sealToken / unsealToken', () => {
  it('round-trips any text and never contains it', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 8 }), (token) => {
        const sealed = sealToken(token, key);
        expect(isSealedToken(sealed)).toBe(true);
        expect(sealed.startsWith('v1.')).toBe(true);
        expect(unsealToken(sealed, key)).toBe(token);
        if (token.length >= 8) expect(sealed.includes(token)).toBe(false);
      }),
    );
  });

  it('uses a fresh IV each time', () => {
    expect(sealToken('same', key)).not.toBe(sealToken('same', key));
  });

  it('refuses a wrong key or a tampered text with a sentence', () => {
    const sealed = sealToken('eyJ.secret.token', key);
    expect(() => unsealToken(sealed, randomBytes(32))).toThrow(/same JOB_ENCRYPTION_KEY/);
    const parts = sealed.split('.');
    const tampered = [parts[0], parts[1], parts[2], Buffer.from('xxxx').toString('base64url')].join('.');
    expect(() => unsealToken(tampered, key)).toThrow(/could not be unsealed/);
    expect(() => unsealToken('v2.a.b.c', key)).toThrow(/unknown format/);
  });
});

describe('job data', () => {
  const good = {
    target: { service: 'httpbin', namespace: 'foo', cluster: 'default' },
    requestedBy: { team: 'T0TEAM', user: 'U0ALICE', channel: 'C0INCIDENT' },
    replyTo: { channel: 'C0INCIDENT' },
  };

  it('accepts the contract shape', () => {
    expect(validateJobData(good).ok).toBe(true);
    expect(validateJobData({ ...good, replyTo: { channel: 'D0DM', threadTs: '1700000000.000100' }, sealedToken: sealToken('t', key) }).ok).toBe(true);
  });

  it('names every problem and never repeats a raw token', () => {
    const raw = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    const result = validateJobData({ ...good, target: { service: 'Bad_Name', namespace: 'foo', cluster: 'a:b' }, sealedToken: raw, extra: 1 });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.problems).toEqual(
        expect.arrayContaining([
          'unexpected field "extra"',
          'target.service is not a DNS-1123 label',
          'target.cluster is not a valid cluster name',
          'sealedToken is not a sealed token (v1.<iv>.<tag>.<ciphertext>)',
        ]),
      );
      expect(result.problems.join(' ')).not.toContain('eyJ');
    }
    expect(validateJobData(null).ok).toBe(false);
    expect(UnrecoverableError).toBeDefined();
  });

  it('derives job ids that BullMQ accepts and that repeat for the same request', () => {
    const a = jobIdFor({ team: 'T', channel: 'C', user: 'U', trigger: '123.abc' });
    expect(a).toBe(jobIdFor({ team: 'T', channel: 'C', user: 'U', trigger: '123.abc' }));
    expect(a).not.toBe(jobIdFor({ team: 'T', channel: 'C', user: 'U', trigger: '124.abc' }));
    expect(a).not.toContain(':');
    expect(Number.isInteger(Number(a))).toBe(false);
  });

  it('maps per-cluster queues onto the jwtcheck:<cluster> keys', () => {
    expect(queueLocation('default')).toEqual({ name: 'jwtcheck', prefix: 'bull', label: 'jwtcheck' });
    expect(queueLocation('prod-eu')).toEqual({ name: 'prod-eu', prefix: 'bull:jwtcheck', label: 'jwtcheck:prod-eu' });
  });
});
