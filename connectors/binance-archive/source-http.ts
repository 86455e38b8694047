/**
 * An archive source over HTTP(S): data.binance.vision (default) or any mirror with the same layout. Objects
 * are `GET <baseUrl>/<key>`; listings are S3 ListObjects v1 pages at `listingUrl` (the bucket endpoint for
 * data.binance.vision, `<baseUrl>/` for mirrors). 404 → `NotFoundUpstreamError`; 429/418 →
 * `RateLimitedError`; 5xx, resets, a response that does not start within `timeoutMs` and a body that stalls
 * for `idleTimeoutMs` → retriable `ConnectorError`.
 */
import { ConnectorError, NotFoundUpstreamError, RateLimitedError } from '../../schemas/errors.js';
import { BINANCE_LISTING_URL, listAllPages, listingPageUrl } from './listing.js';
import type { ArchiveSource, SourceObject } from './source.js';

/** The public archive. */
export const BINANCE_ARCHIVE_URL = 'https://data.binance.vision';

/** Options of {@link httpSource}. */
export interface HttpSourceOptions {
  /** Base URL of the archive. @default https://data.binance.vision */
  readonly baseUrl?: string;
  /** Listing endpoint. @default the S3 bucket endpoint for data.binance.vision, `<baseUrl>/` otherwise */
  readonly listingUrl?: string;
  /** Time until response headers arrive. @default 30000 */
  readonly timeoutMs?: number;
  /** Longest pause between body chunks. @default 30000 */
  readonly idleTimeoutMs?: number;
  /** The fetch implementation. @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/** The listing URL a base URL implies. */
export function defaultListingUrl(baseUrl: string): string {
  const base = baseUrl.replace(/\/+$/, '');
  return base === BINANCE_ARCHIVE_URL ? BINANCE_LISTING_URL : `${base}/`;
}

/** A source over HTTP. */
export function httpSource(options: HttpSourceOptions = {}): ArchiveSource {
  const baseUrl = (options.baseUrl ?? BINANCE_ARCHIVE_URL).replace(/\/+$/, '');
  const listingUrl = options.listingUrl ?? defaultListingUrl(baseUrl);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  const doFetch = options.fetch ?? globalThis.fetch;

  async function request(url: string, file: string, signal?: AbortSignal): Promise<{ response: Response; body: AsyncIterable<Buffer> }> {
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    let timedOut = '';
    let timer = setTimeout(() => { timedOut = `no response within ${timeoutMs} ms`; controller.abort(); }, timeoutMs);
    const fail = (error: unknown): never => {
      if (signal?.aborted) throw signal.reason;
      const reason = timedOut !== '' ? timedOut : (error as Error).message;
      throw new ConnectorError(`GET ${url}: ${reason}`, { url, file }, { cause: error });
    };
    let response: Response;
    try { response = await doFetch(url, { signal: controller.signal }); } catch (error) {
      clearTimeout(timer); signal?.removeEventListener('abort', onAbort);
      return fail(error);
    }
    clearTimeout(timer);
    const done = (): void => { clearTimeout(timer); signal?.removeEventListener('abort', onAbort); };
    if (!response.ok) {
      done();
      await response.body?.cancel().catch(() => undefined);
      throw statusError(response, url, file);
    }
    async function* body(): AsyncGenerator<Buffer> {
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      try {
        for (;;) {
          timer = setTimeout(() => { timedOut = `body stalled for ${idleTimeoutMs} ms`; controller.abort(); }, idleTimeoutMs);
          let chunk: Awaited<ReturnType<typeof reader.read>>;
          try { chunk = await reader.read(); } catch (error) { return fail(error); } finally { clearTimeout(timer); }
          if (chunk.done) return;
          yield Buffer.from(chunk.value.buffer, chunk.value.byteOffset, chunk.value.byteLength);
        }
      } finally {
        done();
        await reader.cancel().catch(() => undefined);
      }
    }
    return { response, body: body() };
  }

  async function readText(url: string, file: string, signal?: AbortSignal): Promise<string> {
    const { body } = await request(url, file, signal);
    const parts: Buffer[] = [];
    for await (const chunk of body) parts.push(chunk);
    return Buffer.concat(parts).toString('utf8');
  }

  return {
    description: baseUrl,
    readText: (key, signal) => readText(`${baseUrl}/${key}`, key, signal),
    async open(key, signal): Promise<SourceObject> {
      const { response, body } = await request(`${baseUrl}/${key}`, key, signal);
      const length = response.headers.get('content-length');
      const modified = response.headers.get('last-modified');
      return {
        body, size: length === null ? null : Number(length),
        lastModifiedMs: modified === null ? null : Date.parse(modified),
      };
    },
    list: (prefix, signal) => listAllPages((marker) => readText(listingPageUrl(listingUrl, prefix, marker), prefix, signal)),
  };
}

function statusError(response: Response, url: string, file: string): Error {
  const status = response.status;
  if (status === 404 || status === 403) {
    // S3 answers 403 AccessDenied for a missing key when listing is not allowed on the bucket.
    return new NotFoundUpstreamError(`GET ${url}: HTTP ${status} (not in the archive)`, { url, file, status });
  }
  if (status === 429 || status === 418) {
    const retryAfterS = Number(response.headers.get('retry-after') ?? '1');
    return new RateLimitedError(`GET ${url}: HTTP ${status}`, (Number.isFinite(retryAfterS) ? retryAfterS : 1) * 1000, { url, file, status });
  }
  return new ConnectorError(`GET ${url}: HTTP ${status}`, { url, file, status }, { retriable: status >= 500 || status === 408 });
}
