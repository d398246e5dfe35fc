import { blockedAddressReason, BlockedAddressError, checkUrl, guardedLookup } from '../../src/lib/url-guard.js';
import { JwtcheckError } from '../../src/errors.js';

const refusal = (url: string): JwtcheckError => {
  try {
    checkUrl(url);
  } catch (err) {
    expect(err).toBeInstanceOf(JwtcheckError);
    expect((err as JwtcheckError).code).toBe('blocked');
    return err as JwtcheckError;
  }
  throw new Error(`${url} was not refused`);
};

describe('blockedAddressReason', () => {
  it.each([
    ['169.254.169.254', 'a cloud metadata address'],
    ['100.100.100.200', 'a cloud metadata address'],
    ['fd00:ec2::254', 'a cloud metadata address'],
    ['169.254.1.1', 'a link-local address'],
    ['fe80::1', 'a link-local address'],
    ['febf::1', 'a link-local address'],
    ['::ffff:169.254.169.254', 'a cloud metadata address'],
    ['::ffff:a9fe:a9fe', 'a cloud metadata address'],
    ['64:ff9b::a9fe:a9fe', 'a cloud metadata address'],
    ['0.0.0.0', 'an unspecified address'],
    ['::', 'an unspecified address'],
    ['224.0.0.1', 'a multicast address'],
    ['239.255.255.250', 'a multicast address'],
    ['ff02::1', 'a multicast address'],
    ['255.255.255.255', 'a reserved or broadcast address'],
  ])('%s is refused as %s', (address, reason) => {
    expect(blockedAddressReason(address)).toBe(reason);
  });

  it.each(['127.0.0.1', '::1', '10.96.0.10', '172.16.5.4', '192.168.1.10', '100.64.0.1', 'fd12:3456::1', '8.8.8.8', '2001:db8::1', 'fec0::1'])(
    '%s is allowed (loopback, private and public ranges host in-cluster and real issuers)',
    (address) => {
      expect(blockedAddressReason(address)).toBeUndefined();
    },
  );

  it('a host name is not an address', () => {
    expect(blockedAddressReason('keycloak.auth.svc')).toBeUndefined();
  });
});

describe('checkUrl', () => {
  it('accepts http and https URLs to names, loopback and private addresses', () => {
    expect(checkUrl('https://keycloak.auth.svc.cluster.local/realms/x').hostname).toBe('keycloak.auth.svc.cluster.local');
    expect(checkUrl('http://127.0.0.1:8080/.well-known/openid-configuration').port).toBe('8080');
    expect(checkUrl('https://[::1]:8443/jwks').hostname).toBe('[::1]');
    expect(checkUrl('https://10.0.0.5/jwks').href).toBe('https://10.0.0.5/jwks');
  });

  it.each(['file:///etc/passwd', 'ftp://issuer.example/jwks', 'gopher://x/', 'data:application/json,{}', 'javascript:alert(1)'])(
    'refuses the scheme of %s',
    (url) => {
      expect(refusal(url).message).toMatch(/only http and https/);
    },
  );

  it('refuses credentials in the URL without repeating them', () => {
    const err = refusal('https://admin:s3cret@issuer.example/jwks');
    expect(err.message).toContain('user name or password');
    expect(err.message).not.toContain('s3cret');
  });

  it.each([
    'http://169.254.169.254/latest/meta-data/',
    'http://[fd00:ec2::254]/latest/meta-data/',
    'http://100.100.100.200/latest/meta-data/',
    'http://2852039166/', // 169.254.169.254 as one decimal number: the URL parser normalises it
    'http://0xa9.0xfe.0xa9.0xfe/',
    'http://[::ffff:169.254.169.254]/',
    'http://[fe80::1]/',
    'http://0.0.0.0:8080/',
    'http://metadata.google.internal/computeMetadata/v1/',
    'http://METADATA.GOOGLE.INTERNAL./computeMetadata/v1/',
    'http://metadata.azure.com/metadata/identity',
  ])('refuses %s', (url) => {
    expect(refusal(url).message).toMatch(/metadata|link-local|unspecified/);
  });

  it('refuses text that is not a URL', () => {
    expect(refusal('issuer.example/jwks').message).toContain('not a valid URL');
  });
});

describe('guardedLookup (the connect-time DNS check)', () => {
  const lookup = (host: string, all = false) =>
    new Promise<{ err: NodeJS.ErrnoException | null; address: unknown }>((resolve) => {
      guardedLookup(host, { all }, (err, address) => resolve({ err, address }));
    });

  it('passes localhost through (loopback is allowed)', async () => {
    const { err, address } = await lookup('localhost');
    expect(err).toBeNull();
    expect(['127.0.0.1', '::1']).toContain(address);
    const many = await lookup('localhost', true);
    expect(Array.isArray(many.address)).toBe(true);
  });

  it('fails when the answer is a blocked address', async () => {
    // dns.lookup answers an IP text with itself, which exercises the same path as a rebinding name
    const { err } = await lookup('169.254.169.254');
    expect(err).toBeInstanceOf(BlockedAddressError);
    expect(err?.message).toContain('cloud metadata');
  });

  it('passes DNS failures through unchanged', async () => {
    const { err } = await lookup('no-such-host.invalid');
    expect(err).not.toBeNull();
    expect(err).not.toBeInstanceOf(BlockedAddressError);
  });
});
