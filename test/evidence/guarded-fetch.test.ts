import { rejection } from '../support/rejection.js';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GuardedFetcher } from '../../src/evidence/guarded-fetch.js';
import { freePort } from '../support/free-port.js';

const DISCOVERY = { issuer: 'https://issuer.example', jwks_uri: 'https://issuer.example/jwks' };
const BIG_BODY_BYTES = 5 * 1024 * 1024;

interface Seen {
  path: string;
  headers: IncomingMessage['headers'];
}

function handler(seen: Seen[], base: () => string) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = req.url ?? '/';
    seen.push({ path, headers: req.headers });
    const hop = /^\/hop\/(\d+)$/.exec(path);
    if (path === '/ok') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(DISCOVERY));
    } else if (path === '/missing') {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<html>Not Found</html>');
    } else if (hop) {
      const left = Number(hop[1]);
      res.writeHead(302, { location: left === 0 ? '/ok' : `/hop/${left - 1}` });
      res.end();
    } else if (path === '/absolute-redirect') {
      res.writeHead(301, { location: `${base()}/ok` });
      res.end();
    } else if (path === '/to-metadata') {
      res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/' });
      res.end();
    } else if (path === '/to-file') {
      res.writeHead(307, { location: 'file:///etc/passwd' });
      res.end();
    } else if (path === '/big') {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const pump = (): void => {
        while (sent < BIG_BODY_BYTES) {
          sent += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      res.on('error', () => undefined);
      pump();
    } else if (path === '/hang') {
      // never answers
    } else if (path === '/drip') {
      // headers at once, then a byte every 200 ms: only a timeout over the body catches this
      res.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => res.write(' '), 200);
      res.on('close', () => clearInterval(timer));
    } else {
      res.writeHead(500);
      res.end();
    }
  };
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

describe('GuardedFetcher', () => {
  const seen: Seen[] = [];
  let base = '';
  const server = createServer(handler(seen, () => base));
  let fetcher: GuardedFetcher;

  beforeAll(async () => {
    base = await listen(server);
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    seen.length = 0;
    fetcher = new GuardedFetcher({ timeoutMs: 1000 });
  });
  afterEach(async () => {
    await fetcher.close();
  });

  it('fetches a JSON document, sending Accept and a jwtcheck User-Agent', async () => {
    const doc = await fetcher.fetch(`${base}/ok`);
    expect(doc).toEqual({
      url: `${base}/ok`,
      finalUrl: `${base}/ok`,
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify(DISCOVERY),
    });
    expect(seen[0]?.headers['accept']).toBe('application/json');
    expect(seen[0]?.headers['user-agent']).toMatch(/^jwtcheck\/\d+\.\d+\.\d+/);
  });

  it('works with a host name (the DNS answer goes through the guard) and loopback', async () => {
    const doc = await fetcher.fetch(`${base.replace('127.0.0.1', 'localhost')}/ok`);
    expect(doc.status).toBe(200);
  });

  it('checks DNS answers at connect time: a name resolving to a metadata address is refused', async () => {
    const port = new URL(base).port;
    const rebinding = new GuardedFetcher({
      resolve: (host, _options, callback) =>
        callback(null, [{ address: host === 'evil.test' ? '169.254.169.254' : '127.0.0.1', family: 4 }]),
    });
    const err = await rejection(rebinding.fetch(`http://evil.test:${port}/ok`));
    expect(err.code).toBe('blocked');
    expect(err.message).toContain('evil.test resolves to 169.254.169.254, a cloud metadata address');
    expect(seen).toHaveLength(0);
    // the same resolver answering loopback for another name is fine
    const ok = await rebinding.fetch(`http://issuer.test:${port}/ok`);
    expect(ok.status).toBe(200);
    expect(seen[0]?.headers.host).toBe(`issuer.test:${port}`);
    await rebinding.close();
  });

  it('returns a 404 as a document, not an error', async () => {
    const doc = await fetcher.fetch(`${base}/missing`);
    expect(doc.status).toBe(404);
    expect(doc.contentType).toBe('text/html');
    expect(doc.body).toContain('Not Found');
  });

  it('follows 3 redirects and reports the final URL', async () => {
    const doc = await fetcher.fetch(`${base}/hop/2`);
    expect(doc.status).toBe(200);
    expect(doc.url).toBe(`${base}/hop/2`);
    expect(doc.finalUrl).toBe(`${base}/ok`);
    expect(fetcher.requestCount()).toBe(4);
    expect(fetcher.fetchedUrls()).toEqual([`${base}/hop/2`, `${base}/hop/1`, `${base}/hop/0`, `${base}/ok`]);
    const absolute = await fetcher.fetch(`${base}/absolute-redirect`);
    expect(absolute.finalUrl).toBe(`${base}/ok`);
  });

  it('refuses a 4th redirect', async () => {
    const err = await rejection(fetcher.fetch(`${base}/hop/3`));
    expect(err.code).toBe('http-status');
    expect(err.message).toContain('redirected more than 3 times');
    expect(seen).toHaveLength(4);
  });

  it('refuses a redirect to the cloud metadata address without contacting it', async () => {
    const err = await rejection(fetcher.fetch(`${base}/to-metadata`));
    expect(err.code).toBe('blocked');
    expect(err.message).toContain('cloud metadata');
    expect(fetcher.fetchedUrls()).toEqual([`${base}/to-metadata`]);
    const file = await rejection(fetcher.fetch(`${base}/to-file`));
    expect(file.code).toBe('blocked');
  });

  it('refuses link-local literals, metadata names and non-http schemes before any request', async () => {
    for (const url of [
      'http://169.254.10.1/.well-known/openid-configuration',
      'http://[fe80::1]/jwks',
      'http://metadata.google.internal/computeMetadata/v1/',
      'file:///etc/passwd',
      'ftp://issuer.example/jwks.json',
    ]) {
      const err = await rejection(fetcher.fetch(url));
      expect(err.code).toBe('blocked');
    }
    expect(fetcher.requestCount()).toBe(0);
    expect(fetcher.fetchedUrls()).toEqual([]);
  });

  it('cuts a body over the cap with too-large', async () => {
    const started = Date.now();
    const err = await rejection(fetcher.fetch(`${base}/big`));
    expect(err.code).toBe('too-large');
    expect(err.message).toBe(
      `${base}/big sent more than 1 MiB: a discovery document or key set is a few KiB, so this is not one; check the URL in the policy.`,
    );
    expect(Date.now() - started).toBeLessThan(1000);
    const small = new GuardedFetcher({ maxBytes: 10 });
    await expect(small.fetch(`${base}/ok`)).rejects.toMatchObject({ code: 'too-large' });
    await small.close();
  });

  it('times out a server that never answers, within the limit', async () => {
    const quick = new GuardedFetcher({ timeoutMs: 300 });
    const started = Date.now();
    const err = await rejection(quick.fetch(`${base}/hang`));
    const elapsed = Date.now() - started;
    expect(err.code).toBe('timeout');
    expect(err.message).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/hang did not answer within 0\.3 s/);
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(1500);
    await quick.close();
  });

  it('the timeout also covers a body that trickles in', async () => {
    const quick = new GuardedFetcher({ timeoutMs: 500 });
    const started = Date.now();
    const err = await rejection(quick.fetch(`${base}/drip`));
    expect(err.code).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(2000);
    await quick.close();
  });

  it('fetches a URL once per fetcher (the promise is shared)', async () => {
    const [a, b] = await Promise.all([fetcher.fetch(`${base}/ok`), fetcher.fetch(`${base}/ok`)]);
    const c = await fetcher.fetch(`${base}/ok`);
    expect(a).toBe(b);
    expect(c).toBe(a);
    expect(seen).toHaveLength(1);
    expect(fetcher.requestCount()).toBe(1);
    // a failure is cached too: one request per URL per diagnosis
    await rejection(fetcher.fetch(`${base}/hop/3`));
    await rejection(fetcher.fetch(`${base}/hop/3`));
    expect(seen).toHaveLength(5);
    // a new fetcher (a new diagnosis) fetches again
    const next = new GuardedFetcher();
    await next.fetch(`${base}/ok`);
    expect(seen).toHaveLength(6);
    await next.close();
  });

  it('connection refused and DNS failure are unreachable, with the cause in words', async () => {
    const port = await freePort();
    const refused = await rejection(fetcher.fetch(`http://127.0.0.1:${port}/jwks`));
    expect(refused.code).toBe('unreachable');
    expect(refused.message).toContain(`connection to 127.0.0.1:${port} was refused`);
    const dns = await rejection(fetcher.fetch('http://no-such-issuer.invalid/.well-known/openid-configuration'));
    expect(dns.code).toBe('unreachable');
    expect(dns.message).toContain('no-such-issuer.invalid does not resolve');
  });
});

describe('GuardedFetcher over TLS', () => {
  let dir = '';
  let server: Server | undefined;
  let base = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jwtcheck-tls-'));
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
      { stdio: 'ignore' },
    );
    server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
    const port = await new Promise<number>((resolve) => server?.listen(0, '127.0.0.1', () => resolve((server?.address() as AddressInfo).port)));
    base = `https://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('an untrusted (self-signed) certificate is unreachable and says to set NODE_EXTRA_CA_CERTS', async () => {
    const fetcher = new GuardedFetcher({ timeoutMs: 2000 });
    const err = await rejection(fetcher.fetch(`${base}/jwks`));
    expect(err.code).toBe('unreachable');
    expect(err.message).toContain("the certificate is not trusted");
    expect(err.message).toContain("set NODE_EXTRA_CA_CERTS to the issuer's CA bundle");
    await fetcher.close();
  });

  it('plain http to a TLS port fails with a reason, not a stack', async () => {
    const fetcher = new GuardedFetcher({ timeoutMs: 2000 });
    const err = await rejection(fetcher.fetch(base.replace('https:', 'http:')));
    expect(['unreachable', 'timeout']).toContain(err.code);
    expect(err.message).not.toMatch(/\n\s+at /);
    await fetcher.close();
  });
});
