import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parse } from 'yaml';
import type { DocumentFetcher } from '../model/document-fetcher.js';
import type { FetchedDocument } from '../model/index.js';
import { JwtcheckError } from '../errors.js';

/**
 * Recorded issuer answers, for `jwtcheck demo` and offline `--files` runs: the same DocumentFetcher
 * contract as the live one, with no network at all. A recording is YAML or JSON:
 * `{ responses: [{ url, status, contentType, body }] }`; `body` may be text or inline JSON/YAML
 * (an object is serialised as JSON, which is what an issuer would have sent).
 */

export interface RecordedResponse {
  status: number;
  contentType?: string;
  body: string;
}

export class RecordedFetcher implements DocumentFetcher {
  private readonly responses = new Map<string, RecordedResponse>();
  private readonly normalized = new Map<string, RecordedResponse>();
  private readonly urls: string[] = [];

  constructor(responses: Record<string, RecordedResponse> | Map<string, RecordedResponse>) {
    const entries = responses instanceof Map ? [...responses] : Object.entries(responses);
    for (const [url, response] of entries) {
      this.responses.set(url, response);
      this.normalized.set(normalize(url), response);
    }
  }

  static fromFile(path: string): RecordedFetcher {
    const where = basename(path);
    let data: unknown;
    try {
      data = parse(readFileSync(path, 'utf8'), { logLevel: 'error' });
    } catch (err) {
      const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
      throw new JwtcheckError('invalid', `Cannot read the recording ${where}: ${why}`, { cause: err });
    }
    const list = (data as { responses?: unknown } | null)?.responses;
    if (!Array.isArray(list)) {
      throw new JwtcheckError('invalid', `${where} is not a recording: it needs a top-level "responses:" list of {url, status, contentType, body}.`);
    }
    const map = new Map<string, RecordedResponse>();
    list.forEach((entry: unknown, index) => {
      const item = (entry ?? {}) as { url?: unknown; status?: unknown; contentType?: unknown; body?: unknown };
      if (typeof item.url !== 'string' || typeof item.status !== 'number') {
        throw new JwtcheckError('invalid', `${where}: responses[${index}] needs a url (text) and a status (number).`);
      }
      const body = typeof item.body === 'string' ? item.body : item.body === undefined ? '' : JSON.stringify(item.body);
      map.set(item.url, {
        status: item.status,
        ...(typeof item.contentType === 'string' ? { contentType: item.contentType } : {}),
        body,
      });
    });
    return new RecordedFetcher(map);
  }

  fetch(url: string): Promise<FetchedDocument> {
    this.urls.push(url);
    // Exact first; then up to case and default port (but `https://a` and `https://a/` only match exactly
    // when both are recorded, since the URL parser adds that slash).
    const response = this.responses.get(url) ?? this.normalized.get(normalize(url));
    if (response === undefined) {
      return Promise.reject(
        new JwtcheckError(
          'unreachable',
          `No recorded answer for ${url} in the snapshot (offline mode): add it to the recording, or run against a live cluster.`,
        ),
      );
    }
    return Promise.resolve({
      url,
      finalUrl: url,
      status: response.status,
      ...(response.contentType !== undefined ? { contentType: response.contentType } : {}),
      body: response.body,
    });
  }

  /** Always 0: nothing goes to the network. */
  requestCount(): number {
    return 0;
  }

  /** URLs asked for, in order (so tests can prove a token's URL is never asked for). */
  fetchedUrls(): string[] {
    return [...this.urls];
  }
}

/** WHATWG normalisation: case of scheme and host, default port, percent-encoding. */
function normalize(url: string): string {
  try {
    return new URL(url).href;
  } catch {
    return url;
  }
}
