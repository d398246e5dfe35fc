import { fileURLToPath } from 'node:url';
import { RecordedFetcher } from '../../src/evidence/recorded-fetcher.js';
import { JwtcheckError } from '../../src/errors.js';

const RECORDING = fileURLToPath(new URL('../fixtures/sources/issuer-recording.yaml', import.meta.url));

describe('RecordedFetcher', () => {
  const fetcher = RecordedFetcher.fromFile(RECORDING);

  it('answers recorded URLs; an inline YAML body becomes the JSON an issuer would send', async () => {
    const doc = await fetcher.fetch('https://issuer.example/.well-known/openid-configuration');
    expect(doc.status).toBe(200);
    expect(doc.contentType).toBe('application/json');
    expect(JSON.parse(doc.body)).toEqual({ issuer: 'https://issuer.example', jwks_uri: 'https://issuer.example/.well-known/jwks.json' });
    const jwks = await fetcher.fetch('https://issuer.example/.well-known/jwks.json');
    expect(JSON.parse(jwks.body).keys[0].kid).toBe('k1');
  });

  it('returns a recorded 404 as a document', async () => {
    const doc = await fetcher.fetch('https://gone.example/jwks');
    expect(doc.status).toBe(404);
    expect(doc.finalUrl).toBe('https://gone.example/jwks');
  });

  it('matches up to host case and default port', async () => {
    expect((await fetcher.fetch('https://ISSUER.example:443/.well-known/jwks.json')).status).toBe(200);
  });

  it('an unrecorded URL is unreachable, with what to do', async () => {
    await expect(fetcher.fetch('https://other.example/jwks')).rejects.toEqual(
      new JwtcheckError(
        'unreachable',
        'No recorded answer for https://other.example/jwks in the snapshot (offline mode): add it to the recording, or run against a live cluster.',
      ),
    );
    expect(fetcher.fetchedUrls()).toContain('https://other.example/jwks');
    expect(fetcher.requestCount()).toBe(0);
  });

  it('builds from a map too', async () => {
    const direct = new RecordedFetcher({ 'http://a.test/x': { status: 500, body: 'oops' } });
    expect(await direct.fetch('http://a.test/x')).toEqual({ url: 'http://a.test/x', finalUrl: 'http://a.test/x', status: 500, body: 'oops' });
  });
});
