/**
 * The bucket listing (S3 ListObjects v1, docs/BINANCE.md §1.3): a pure XML page parser and a pager that
 * follows `IsTruncated` with `marker` = `NextMarker` (or the last key/prefix returned). The listing URL is
 * configurable: data.binance.vision lists at its S3 bucket endpoint, mirrors at `<base>/`.
 */
import { ConnectorError } from '../../schemas/errors.js';
import { excerpt } from './excerpt.js';

/** One object in a listing. */
export interface ListedObject {
  readonly key: string;
  readonly size: number;
  /** LastModified in ms since the epoch, or null when absent. */
  readonly lastModifiedMs: number | null;
}

/** One parsed page of a listing. */
export interface ListingPage {
  readonly objects: readonly ListedObject[];
  readonly prefixes: readonly string[];
  readonly isTruncated: boolean;
  /** The marker for the next page: NextMarker, else the last key or prefix returned. */
  readonly nextMarker: string | null;
}

/** The S3 listing endpoint of data.binance.vision. */
export const BINANCE_LISTING_URL = 'https://s3-ap-northeast-1.amazonaws.com/data.binance.vision';

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescapeXml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, name: string) => {
    if (name.startsWith('#x')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(parseInt(name.slice(1), 10));
    return ENTITIES[name] ?? '';
  });
}

function tag(xml: string, name: string): string | null {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  return m === null ? null : unescapeXml(m[1] ?? '');
}

function blocks(xml: string, name: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'g');
  for (let m = re.exec(xml); m !== null; m = re.exec(xml)) out.push(m[1] ?? '');
  return out;
}

/** Parses one ListObjects (v1) XML page. Throws a {@link ConnectorError} when the body is not a listing. */
export function parseListingXml(xml: string): ListingPage {
  if (!xml.includes('<ListBucketResult')) {
    throw new ConnectorError(`not an S3 listing (got ${excerpt(xml)})`);
  }
  const objects = blocks(xml, 'Contents').map((block) => {
    const modified = tag(block, 'LastModified');
    return {
      key: tag(block, 'Key') ?? '',
      size: Number(tag(block, 'Size') ?? '0'),
      lastModifiedMs: modified === null ? null : Date.parse(modified),
    };
  });
  const prefixes = blocks(xml, 'CommonPrefixes').map((block) => tag(block, 'Prefix') ?? '');
  const isTruncated = tag(xml, 'IsTruncated') === 'true';
  const last = [...objects.map((o) => o.key), ...prefixes].sort().at(-1) ?? null;
  return { objects, prefixes, isTruncated, nextMarker: tag(xml, 'NextMarker') ?? last };
}

/** The URL of one listing page under `listingUrl` (`?delimiter=/&prefix=…&marker=…`). */
export function listingPageUrl(listingUrl: string, prefix: string, marker: string | null): string {
  const params = new URLSearchParams({ delimiter: '/', prefix });
  if (marker !== null) params.set('marker', marker);
  return `${listingUrl}${listingUrl.includes('?') ? '&' : '?'}${params.toString()}`;
}

/**
 * Lists every object and sub-prefix directly under `prefix`, following pages. `fetchPage(marker)` returns the
 * XML of one page. Stops with an error after `maxPages` pages (a listing that never ends).
 */
export async function listAllPages(
  fetchPage: (marker: string | null) => Promise<string>, maxPages = 10_000,
): Promise<{ objects: ListedObject[]; prefixes: string[] }> {
  const objects: ListedObject[] = [];
  const prefixes: string[] = [];
  let marker: string | null = null;
  for (let page = 0; page < maxPages; page++) {
    const parsed = parseListingXml(await fetchPage(marker));
    objects.push(...parsed.objects);
    prefixes.push(...parsed.prefixes);
    if (!parsed.isTruncated) return { objects, prefixes };
    if (parsed.nextMarker === null || parsed.nextMarker === marker) {
      throw new ConnectorError('listing is truncated but gives no next marker', {}, { retriable: false });
    }
    marker = parsed.nextMarker;
  }
  throw new ConnectorError(`listing did not end after ${maxPages} pages`, {}, { retriable: false });
}
