/**
 * Issue 10 item 14: issuer fetches honour HTTPS_PROXY / HTTP_PROXY / NO_PROXY. A forward proxy on 127.0.0.1
 * (CONNECT tunnels, as corporate proxies do) resolves names itself: here it knows `issuer.corp.test`, which no
 * DNS does, so a successful fetch proves the request went through it. What the address guard still checks
 * with a proxy: IP literals and every redirect target before any request.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { loadConfig } from '../../src/config.js';
import { GuardedFetcher } from '../../src/evidence/guarded-fetch.js';
import { rejection } from '../support/rejection.js';

const NAME = 'issuer.corp.test';
const DISCOVERY = { issuer: `http://${NAME}`, jwks_uri: `http://${NAME}/jwks` };

let issuer: Server;
let issuerPort: number;
let proxy: Server;
let proxyUrl: string;
/** "CONNECT host:port" lines and plain proxied request URLs the proxy saw. */
const proxied: string[] = [];

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

/** The proxy's own name resolution: only it knows NAME. */
const resolveAtProxy = (host: string) => (host === NAME ? '127.0.0.1' : host);

beforeAll(async () => {
  issuer = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/to-metadata') {
      res.writeHead(302, { location: 'http://[::ffff:a9fe:a9fe]/latest/meta-data/' });
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(DISCOVERY));
  });
  issuerPort = await listen(issuer);
  proxy = createServer((req, res) => {
    // Only tunnels are served: undici sends CONNECT for http: and https: URLs alike.
    proxied.push(`${req.method ?? ''} ${req.url ?? ''}`);
    res.writeHead(405).end();
  });
  proxy.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    proxied.push(`CONNECT ${req.url ?? ''}`);
    const [host = '', port = '443'] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), resolveAtProxy(host), () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  proxyUrl = `http://127.0.0.1:${await listen(proxy)}`;
});

afterAll(async () => {
  proxy.closeAllConnections();
  issuer.closeAllConnections();
  await new Promise((r) => proxy.close(r));
  await new Promise((r) => issuer.close(r));
});

beforeEach(() => {
  proxied.length = 0;
});

async function withFetcher<T>(env: Record<string, string>, fn: (f: GuardedFetcher) => Promise<T>): Promise<T> {
  const config = loadConfig(env);
  const fetcher = new GuardedFetcher({ timeoutMs: 3000, proxy: config.proxy });
  try {
    return await fn(fetcher);
  } finally {
    await fetcher.close();
  }
}

describe('issuer fetches through a proxy', () => {
  it.each([
    ['HTTP_PROXY', { HTTP_PROXY: '' }],
    ['http_proxy', { http_proxy: '' }],
  ])('%s: a name only the proxy can resolve is fetched through it', async (_name, vars) => {
    const env = Object.fromEntries(Object.keys(vars).map((k) => [k, proxyUrl]));
    const doc = await withFetcher(env, (f) => f.fetch(`http://${NAME}:${issuerPort}/.well-known/openid-configuration`));
    expect(doc.status).toBe(200);
    expect(JSON.parse(doc.body)).toEqual(DISCOVERY);
    expect(proxied).toEqual([`CONNECT ${NAME}:${issuerPort}`]); // undici tunnels http: URLs too
  });

  it('HTTPS_PROXY: an https issuer is reached through a CONNECT tunnel of the proxy', async () => {
    // The stand-in issuer speaks plain HTTP, so TLS fails after the tunnel: the CONNECT line is the proof.
    await withFetcher({ HTTPS_PROXY: proxyUrl }, (f) => rejection(f.fetch(`https://${NAME}:${issuerPort}/.well-known/openid-configuration`)));
    expect(proxied).toEqual([`CONNECT ${NAME}:${issuerPort}`]);
  });

  it('NO_PROXY names a host: that host is fetched directly, the proxy sees nothing', async () => {
    const doc = await withFetcher({ HTTP_PROXY: proxyUrl, HTTPS_PROXY: proxyUrl, NO_PROXY: 'localhost,127.0.0.1' }, (f) => f.fetch(`http://127.0.0.1:${issuerPort}/ok`));
    expect(doc.status).toBe(200);
    expect(proxied).toEqual([]);
  });

  it('without proxy variables nothing goes through the proxy (the name does not resolve here)', async () => {
    const err = await withFetcher({}, (f) => rejection(f.fetch(`http://${NAME}:${issuerPort}/ok`)));
    expect(err.code).toBe('unreachable');
    expect(proxied).toEqual([]);
  });

  it('an IP literal that embeds a metadata address is refused before the proxy is asked', async () => {
    const err = await withFetcher({ HTTP_PROXY: proxyUrl }, (f) => rejection(f.fetch('http://[::a9fe:a9fe]/latest/meta-data/')));
    expect(err.code).toBe('blocked');
    expect(proxied).toEqual([]);
  });

  it('a redirect to a metadata literal is refused, even through the proxy', async () => {
    const err = await withFetcher({ HTTP_PROXY: proxyUrl }, (f) => rejection(f.fetch(`http://${NAME}:${issuerPort}/to-metadata`)));
    expect(err.code).toBe('blocked');
    expect(proxied).toHaveLength(1);
  });

  it('a proxy variable that is not an http(s) URL stops start-up with a sentence naming it', () => {
    expect(() => loadConfig({ HTTPS_PROXY: 'proxy.corp:3128' })).toThrow(/HTTPS_PROXY must be an http:\/\/ or https:\/\/ URL/);
  });
});
